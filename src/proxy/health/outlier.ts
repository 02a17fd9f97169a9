/**
 * Passive outlier detection (envoy's consecutive-5xx / consecutive-gateway-failure detector, simplified).
 *
 * An endpoint whose last `consecutiveFailures` tries all failed (5xx, connect failure, reset, timeout) is ejected for
 * base x 2^(k-1), capped at maxEjectionMs, where k counts its ejections; k starts over once the endpoint has stayed
 * in for maxEjectionMs. Ejection ends by the clock alone: no timers, the eligibility filter compares `ejectedUntil`.
 *
 * Probe-back (linkerd's): probeAfterMs into an ejection, one real request goes to the endpoint. A success returns it
 * at once; a failure doubles the wait before the next probe. So a backend that recovered is back within seconds, not
 * at the end of an ejection that may have grown to minutes.
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
  /** A probe request to an ejected endpoint succeeded: it is back before its ejection time ran out. */
  onReturn?(endpoint: UpstreamEndpoint): void;
  /** A probe failed; the next one is scheduled later. */
  onProbeFailed?(endpoint: UpstreamEndpoint): void;
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
    if (!ep.probing) return;
    ep.probing = false;
    if (ep.ejectedUntil <= this.now()) return;
    ep.ejectedUntil = 0;
    this.lastEjectedEnd.set(ep, this.now());
    this.events.onReturn?.(ep);
  }

  /** Records a failure; returns true when it ejected the endpoint. */
  public onFailure(ep: UpstreamEndpoint): boolean {
    if (ep.probing) {
      // The probe failed: stay out, and probe again after twice the wait, within the ejection time.
      ep.probing = false;
      const now = this.now();
      ep.probeWaitMs *= 2;
      ep.probeAt = Math.min(ep.ejectedUntil, now + ep.probeWaitMs);
      this.events.onProbeFailed?.(ep);
      return false;
    }
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
    ep.probing = false;
    ep.probeWaitMs = this.c.probeAfterMs;
    ep.probeAt = now + Math.min(ep.probeWaitMs, forMs);
    ep.consecutiveFailures = 0;
    this.lastEjectedEnd.set(ep, ep.ejectedUntil);
    this.events.onEject(ep, forMs);
    return true;
  }
}
