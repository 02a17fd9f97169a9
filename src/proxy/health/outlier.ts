/**
 * Passive outlier detection (envoy's consecutive-5xx / consecutive-gateway-failure detector, simplified).
 *
 * An endpoint whose last `consecutiveFailures` tries all failed (5xx, connect failure, reset, timeout) is ejected for
 * base x 2^(k-1), capped at maxEjectionMs, where k counts its ejections; k starts over once the endpoint has stayed
 * in for maxEjectionMs. Ejection ends by the clock alone: no timers, the eligibility filter compares `ejectedUntil`.
 *
 * At most max(1, floor(total x maxEjectionPercent / 100)) endpoints are out at once: the floor alone would forbid any
 * ejection in a pool of one or two at 50%, and a dead single backend would then never be marked.
 */
import type { OutlierDetectionConfig } from '../../config';
import type { UpstreamEndpoint } from '../discovery/endpoint-set';

export function ejectionMs(ejectionCount: number, c: OutlierDetectionConfig): number {
  const k = Math.max(1, ejectionCount);
  return Math.min(c.maxEjectionMs, c.baseEjectionMs * 2 ** Math.min(k - 1, 30));
}

export function maxEjected(total: number, percent: number): number {
  return Math.max(1, Math.floor((total * percent) / 100));
}

export interface OutlierEvents {
  onEject(endpoint: UpstreamEndpoint, forMs: number): void;
}

export class OutlierDetector {
  /** End of the last ejection per endpoint, for the decay of the ejection count. */
  private readonly lastEjectedEnd = new WeakMap<UpstreamEndpoint, number>();

  public constructor(
    private readonly c: OutlierDetectionConfig,
    private readonly all: () => readonly UpstreamEndpoint[],
    private readonly now: () => number,
    private readonly events: OutlierEvents,
  ) {}

  public onSuccess(ep: UpstreamEndpoint): void {
    ep.consecutiveFailures = 0;
  }

  /** Records a failure; returns true when it ejected the endpoint. */
  public onFailure(ep: UpstreamEndpoint): boolean {
    ep.consecutiveFailures++;
    if (ep.consecutiveFailures < this.c.consecutiveFailures) return false;
    const now = this.now();
    if (ep.ejectedUntil > now) return false;
    const endpoints = this.all();
    let ejected = 0;
    for (const e of endpoints) if (e.ejectedUntil > now) ejected++;
    if (ejected >= maxEjected(endpoints.length, this.c.maxEjectionPercent)) return false;
    const lastEnd = this.lastEjectedEnd.get(ep);
    if (lastEnd !== undefined && now - lastEnd > this.c.maxEjectionMs) ep.ejections = 0;
    ep.ejections++;
    const forMs = ejectionMs(ep.ejections, this.c);
    ep.ejectedUntil = now + forMs;
    ep.consecutiveFailures = 0;
    this.lastEjectedEnd.set(ep, ep.ejectedUntil);
    this.events.onEject(ep, forMs);
    return true;
  }
}
