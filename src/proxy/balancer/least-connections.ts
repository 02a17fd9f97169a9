/**
 * Least connections: a full scan for the endpoint with the lowest (inFlight + 1) / weight.
 *
 * The + 1 counts the request being placed (see shared.ts): with equal weights this orders endpoints exactly as
 * inFlight does; with unequal weights an idle heavy endpoint beats an idle light one, where inFlight / weight would
 * call them equal at 0. Ties are broken uniformly at random with reservoir sampling over the tied endpoints: the k-th
 * tie seen replaces the current choice with probability 1/k, which leaves each of the k equally likely, with no
 * allocation. Without that, a tie would always go to the first endpoint in the list and idle pools would not spread.
 *
 * Cost: O(n) per pick. For large pools prefer power-of-two-choices, which is O(1) and, by Mitzenmacher's result,
 * nearly as good (the maximum load drops from log n / log log n to log log n / log 2 for random choice vs. two choices).
 */
import { compareLoad } from './shared';
import type { Balancer, BalancerDeps, Endpoint, PickContext } from './types';

export class LeastConnectionsBalancer implements Balancer {
  public constructor(private readonly deps: BalancerDeps) {}

  public pick(endpoints: readonly Endpoint[], _ctx: PickContext): Endpoint | undefined {
    const n = endpoints.length;
    if (n <= 1) return endpoints[0];
    let best = endpoints[0];
    let ties = 1;
    for (let i = 1; i < n; i++) {
      const e = endpoints[i];
      const c = compareLoad(e, best);
      if (c < 0) {
        best = e;
        ties = 1;
      } else if (c === 0) {
        ties++;
        if (this.deps.random() * ties < 1) best = e;
      }
    }
    return best;
  }

  public onResult(): void {
    // The pool maintains inFlight; nothing else to learn.
  }

  public onEndpointsChanged(): void {
    // No per-endpoint state.
  }

  public describe(endpoint: Endpoint): Record<string, number | string | undefined> {
    return { inFlight: endpoint.inFlight, weight: endpoint.weight, load: (endpoint.inFlight + 1) / endpoint.weight };
  }
}
