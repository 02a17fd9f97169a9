/**
 * The balancer factory: one switch over the algorithm kind, exhaustive at compile time.
 *
 * The config arrives validated and with its defaults applied (AlgorithmSchema.parse), so each algorithm reads its
 * parameters as they are. Everything an algorithm needs from the outside world (randomness, time) comes in `deps`.
 */
import type { AlgorithmConfig } from '../../config/algorithm';
import type { ProxyConfig } from '../../config';
import { ConsistentHashBalancer } from './consistent-hash';
import { LeastConnectionsBalancer } from './least-connections';
import { LeastUtilizationBalancer } from './least-utilization';
import { PeakEwmaBalancer } from './peak-ewma';
import { PowerOfTwoChoicesBalancer } from './power-of-two-choices';
import { RandomBalancer } from './random';
import { RoundRobinBalancer } from './round-robin';
import type { Balancer, BalancerDeps } from './types';
import { SplitBalancer } from './split';
import { WeightedRoundRobinBalancer } from './weighted-round-robin';

export type { Balancer, BalancerDeps, Endpoint, Outcome, PickContext } from './types';
export { ConsistentHashBalancer, MAX_RING_POINTS } from './consistent-hash';
export type { ConsistentHashOptions } from './consistent-hash';
export { murmur3 } from './hash';
export { cookieValue, extractHashKey } from './hash-key';
export type { HeaderRecord } from './hash-key';
export { LeastConnectionsBalancer } from './least-connections';
export { LeastUtilizationBalancer } from './least-utilization';
export type { LeastUtilizationOptions } from './least-utilization';
export { ORCA_HEADER, parseLoadReport } from './load-report';
export { COLD_START_RTT_MS, PeakEwmaBalancer } from './peak-ewma';
export type { PeakEwmaOptions } from './peak-ewma';
export { PowerOfTwoChoicesBalancer } from './power-of-two-choices';
export { RandomBalancer } from './random';
export { RoundRobinBalancer } from './round-robin';
export { WeightedRoundRobinBalancer } from './weighted-round-robin';
export { SplitBalancer } from './split';

export function createBalancer(algorithm: AlgorithmConfig, deps: BalancerDeps): Balancer {
  switch (algorithm.kind) {
    case 'round-robin':
      return new RoundRobinBalancer(deps);
    case 'weighted-round-robin':
      return new WeightedRoundRobinBalancer();
    case 'random':
      return new RandomBalancer(deps);
    case 'least-connections':
      return new LeastConnectionsBalancer(deps);
    case 'power-of-two-choices':
      return new PowerOfTwoChoicesBalancer(deps);
    case 'peak-ewma':
      return new PeakEwmaBalancer(algorithm, deps);
    case 'consistent-hash':
      return new ConsistentHashBalancer(algorithm, deps);
    case 'least-utilization':
      return new LeastUtilizationBalancer(algorithm, deps);
    default:
      return unreachable(algorithm);
  }
}

/** The config's algorithm, inside a traffic split across subsets when the config has one. */
export function createUpstreamBalancer(config: Pick<ProxyConfig, 'algorithm' | 'upstream'>, deps: BalancerDeps): Balancer {
  const split = config.upstream.trafficSplit;
  return split === undefined ? createBalancer(config.algorithm, deps) : new SplitBalancer(split, () => createBalancer(config.algorithm, deps));
}

function unreachable(algorithm: never): never {
  throw new Error(`LB_ALGORITHM_UNKNOWN: no balancer for algorithm kind ${JSON.stringify(algorithm)}`);
}
