/**
 * Least utilization: power of two choices on the utilization each backend reports about itself.
 *
 * In-flight counts only see this proxy's own requests; with many proxies (sidecars) in front of one backend, or with
 * requests of very different cost, the backend knows its load better than any one client does. Backends report a
 * utilization in [0, 1] in a response header (a plain number, or ORCA's endpoint-load-metrics; see load-report.ts),
 * and the pool passes it in outcome.loadReport. This is the client side of gRPC's ORCA-driven balancing, reduced to
 * P2C as in Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing" (2001): two distinct endpoints are
 * sampled and the one reporting the lower utilization wins.
 *
 * Freshness: a report is used for `staleAfterMs` after it arrived. Afterwards (or before the first report) the
 * endpoint is *unreported*. An unreported endpoint is compared neutrally: against anyone it ties on utilization, and
 * the tie-breaker decides. Chosen over "unreported = 0" (a backend that never reports would take all the traffic)
 * and over "unreported = median of fresh reports" (global state to keep fresh on every pick). With the neutral rule
 * a new endpoint, idle and so low on in-flight, wins its first comparisons and is probed at once; an overloaded
 * endpoint that was starved until its report expired is probed again and either reports better or is avoided again.
 *
 * Ties (equal utilization, or either side unreported) go to the lower (inFlight + 1) / weight, then to the first
 * sample, which is uniform.
 */
import { compareLoad, otherIndex, pruneStates, randomIndex } from './shared';
import type { Balancer, BalancerDeps, Endpoint, Outcome, PickContext } from './types';

export interface LeastUtilizationOptions {
  readonly staleAfterMs: number;
}

interface Report {
  utilization: number;
  at: number;
}

export class LeastUtilizationBalancer implements Balancer {
  private readonly reports = new Map<Endpoint, Report>();

  public constructor(
    private readonly options: LeastUtilizationOptions,
    private readonly deps: BalancerDeps,
  ) {}

  public pick(endpoints: readonly Endpoint[], _ctx: PickContext): Endpoint | undefined {
    const n = endpoints.length;
    if (n <= 1) return endpoints[0];
    const i = randomIndex(n, this.deps.random);
    const a = endpoints[i];
    const b = endpoints[otherIndex(n, i, this.deps.random)];
    const now = this.deps.now();
    const ua = this.freshUtilization(a, now);
    const ub = this.freshUtilization(b, now);
    if (ua !== undefined && ub !== undefined && ua !== ub) return ub < ua ? b : a;
    return compareLoad(b, a) < 0 ? b : a;
  }

  public onResult(endpoint: Endpoint, outcome: Outcome): void {
    const u = outcome.loadReport;
    if (u === undefined || !Number.isFinite(u)) return;
    const utilization = u < 0 ? 0 : u > 1 ? 1 : u;
    const now = this.deps.now();
    const r = this.reports.get(endpoint);
    if (r === undefined) {
      this.reports.set(endpoint, { utilization, at: now });
    } else {
      r.utilization = utilization;
      r.at = now;
    }
  }

  public onEndpointsChanged(all: readonly Endpoint[]): void {
    pruneStates(this.reports, all);
  }

  public describe(endpoint: Endpoint): Record<string, number | string | undefined> {
    const r = this.reports.get(endpoint);
    const now = this.deps.now();
    return {
      utilization: this.freshUtilization(endpoint, now),
      lastReport: r?.utilization,
      reportAgeMs: r === undefined ? undefined : now - r.at,
      inFlight: endpoint.inFlight,
    };
  }

  private freshUtilization(endpoint: Endpoint, now: number): number | undefined {
    const r = this.reports.get(endpoint);
    return r !== undefined && now - r.at <= this.options.staleAfterMs ? r.utilization : undefined;
  }
}
