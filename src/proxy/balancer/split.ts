/**
 * A traffic split across subsets: `{ stable: 90, canary: 10 }` sends 10 % of requests to the canary subset whatever
 * its pod count, as Istio, Linkerd (SMI) and Argo Rollouts mean it. Per-endpoint weights could not say this: with
 * 2 stable pods and 1 canary, endpoint weights of 90 and 10 give the canary 10 / 190 = 5.3 %, and less with every
 * stable pod the autoscaler adds.
 *
 * Each pick first chooses the subset, then the endpoint inside it with the configured algorithm. The subset is
 * chosen by smooth weighted round robin (nginx's), so the shares hold exactly over every window of picks rather than
 * on average; each subset has its own instance of the algorithm, so per-endpoint state (rings, rotations, EWMAs)
 * never mixes subsets. A subset without an eligible endpoint in this pick (all ejected, or tried by this request)
 * sits the pick out and the others share its traffic in their ratio; a subset with a share of 0 is never picked.
 */
import type { Balancer, Endpoint, PickContext } from './types';

interface SubsetState {
  readonly name: string;
  readonly share: number;
  readonly balancer: Balancer;
  current: number;
  /** This pick's eligible endpoints of the subset (reused array, cleared per pick). */
  readonly eligible: Endpoint[];
}

export class SplitBalancer implements Balancer {
  private readonly subsets: SubsetState[];
  private readonly byName = new Map<string, SubsetState>();

  /**
   * @param shares relative share per subset name, >= 0 (the config has checked that every subset has one)
   * @param create makes one instance of the algorithm per subset
   */
  public constructor(shares: Readonly<Record<string, number>>, create: () => Balancer) {
    this.subsets = Object.keys(shares)
      .sort()
      .map((name) => ({ name, share: shares[name], balancer: create(), current: 0, eligible: [] }));
    for (const s of this.subsets) this.byName.set(s.name, s);
  }

  public pick(endpoints: readonly Endpoint[], ctx: PickContext): Endpoint | undefined {
    for (const s of this.subsets) s.eligible.length = 0;
    for (const e of endpoints) this.byName.get(e.subset)?.eligible.push(e);
    let total = 0;
    let best: SubsetState | undefined;
    for (const s of this.subsets) {
      if (s.share === 0 || s.eligible.length === 0) continue;
      s.current += s.share;
      total += s.share;
      if (best === undefined || s.current > best.current) best = s;
    }
    if (best === undefined) return undefined;
    best.current -= total;
    const picked = best.balancer.pick(best.eligible, ctx);
    for (const s of this.subsets) s.eligible.length = 0;
    return picked;
  }

  public onResult(endpoint: Endpoint, outcome: Parameters<Balancer['onResult']>[1]): void {
    this.byName.get(endpoint.subset)?.balancer.onResult(endpoint, outcome);
  }

  public onEndpointsChanged(all: readonly Endpoint[]): void {
    for (const s of this.subsets) s.balancer.onEndpointsChanged(all.filter((e) => e.subset === s.name));
  }

  public describe(endpoint: Endpoint): Record<string, number | string | undefined> {
    const s = this.byName.get(endpoint.subset);
    return { ...(s?.balancer.describe(endpoint) ?? {}), subsetShare: s?.share };
  }
}
