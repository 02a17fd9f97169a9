/**
 * Slow start (Envoy's model): an endpoint that joins, or comes back from ejection or failed health checks, takes a
 * growing share of new requests over a window instead of its full share at once. A cold pod (JIT, caches, pools) then
 * warms up on a trickle; with peak-EWMA it would otherwise even look cheapest, having no latency samples yet
 * (linkerd2#9652).
 *
 * The factor at time t into the window is max(minWeightPercent / 100, (t / window)^(1 / aggression)). It applies to
 * every algorithm the same way, after the algorithm's pick: a pick of a ramping endpoint stands with probability
 * `factor`, and otherwise the algorithm picks again among the other endpoints. So the endpoint's share is its fair
 * share times the factor, whatever the algorithm, and the algorithms need no weights they may not have (round robin,
 * consistent hashing). While every eligible endpoint is ramping (a first start), there is nobody to shift load to,
 * and the pick stands.
 */
import type { SlowStartConfig } from '../../config';
import type { UpstreamEndpoint } from '../discovery/endpoint-set';

export class SlowStart {
  public constructor(
    private readonly c: SlowStartConfig,
    private readonly now: () => number,
    private readonly random: () => number,
  ) {}

  /** Starts the ramp of `ep` now. */
  public begin(ep: UpstreamEndpoint): void {
    ep.rampStart = this.now();
  }

  /** The share factor of `ep` in (0, 1]; 1 outside a ramp (and it ends the ramp once the window is over). */
  public factor(ep: UpstreamEndpoint): number {
    if (ep.rampStart === 0) return 1;
    const t = this.now() - ep.rampStart;
    if (t >= this.c.windowMs) {
      ep.rampStart = 0;
      return 1;
    }
    const ramp = Math.pow(Math.max(0, t) / this.c.windowMs, 1 / this.c.aggression);
    return Math.max(this.c.minWeightPercent / 100, ramp);
  }

  /**
   * Whether the algorithm's pick of `picked` stands. False sends the pick back for another choice among the others;
   * it is never false while every endpoint of `list` is ramping.
   */
  public keeps(picked: UpstreamEndpoint, list: readonly UpstreamEndpoint[]): boolean {
    if (picked.rampStart === 0) return true;
    const f = this.factor(picked);
    if (f >= 1 || this.random() < f) return true;
    for (const e of list) if (e !== picked && this.factor(e) >= 1) return false;
    return true;
  }
}
