/**
 * Weighted random: endpoint i is picked with probability weight_i / sum(weight).
 *
 * One pass sums the weights; a uniform r in [0, total) then falls into one endpoint's slice of a second pass
 * (inverse-CDF sampling). When every weight is equal the second pass is skipped and the index is floor(u × n).
 * No state, so no feedback and nothing to rebuild, and nothing to coordinate between proxies.
 */
import { randomIndex } from './shared';
import type { Balancer, BalancerDeps, Endpoint, PickContext } from './types';

export class RandomBalancer implements Balancer {
  public constructor(private readonly deps: BalancerDeps) {}

  public pick(endpoints: readonly Endpoint[], _ctx: PickContext): Endpoint | undefined {
    const n = endpoints.length;
    if (n <= 1) return endpoints[0];
    const w0 = endpoints[0].weight;
    let total = 0;
    let uniform = true;
    for (let i = 0; i < n; i++) {
      const w = endpoints[i].weight;
      total += w;
      if (w !== w0) uniform = false;
    }
    if (uniform) return endpoints[randomIndex(n, this.deps.random)];
    let r = this.deps.random() * total;
    for (let i = 0; i < n; i++) {
      r -= endpoints[i].weight;
      if (r < 0) return endpoints[i];
    }
    return endpoints[n - 1]; // rounding left r at a hair above 0
  }

  public onResult(): void {
    // Random ignores feedback.
  }

  public onEndpointsChanged(): void {
    // Random keeps no per-endpoint state.
  }

  public describe(endpoint: Endpoint): Record<string, number | string | undefined> {
    return { weight: endpoint.weight };
  }
}
