/**
 * Power of two choices (least request over two random samples).
 *
 * Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing" (IEEE TPDS, 2001): placing each request on
 * the less loaded of d = 2 endpoints chosen at random brings the maximum load from Θ(log n / log log n) (one random
 * choice) down to Θ(log log n / log 2), at O(1) cost per pick and with no coordination between proxies. Tower's p2c
 * and envoy's LEAST_REQUEST are built this way.
 *
 * The two samples are *distinct*: i uniform in [0, n), then j uniform over the other n - 1 indices. Envoy sampled
 * with replacement (envoy#20420, #14859), so it sometimes compared an endpoint with itself and, with two endpoints,
 * sent a quarter of the traffic to the busy one regardless of load.
 *
 * Load is (inFlight + 1) / weight (see shared.ts). A tie goes to the first sample, which is itself uniform, so ties
 * spread without a third random draw. One endpoint is returned as is.
 */
import { compareLoad, otherIndex, randomIndex } from './shared';
import type { Balancer, BalancerDeps, Endpoint, PickContext } from './types';

export class PowerOfTwoChoicesBalancer implements Balancer {
  public constructor(private readonly deps: BalancerDeps) {}

  public pick(endpoints: readonly Endpoint[], _ctx: PickContext): Endpoint | undefined {
    const n = endpoints.length;
    if (n <= 1) return endpoints[0];
    const i = randomIndex(n, this.deps.random);
    const a = endpoints[i];
    const b = endpoints[otherIndex(n, i, this.deps.random)];
    return compareLoad(b, a) < 0 ? b : a;
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
