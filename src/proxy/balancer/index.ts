/**
 * The balancer factory: one switch over the algorithm kind, exhaustive at compile time.
 *
 * The config arrives validated and with its defaults applied (AlgorithmSchema.parse), so each algorithm reads its
 * parameters as they are. Everything an algorithm needs from the outside world (randomness, time) comes in `deps`.
 */
import type { AlgorithmConfig } from '../../config/algorithm';
import { LeastConnectionsBalancer } from './least-connections';
import { PowerOfTwoChoicesBalancer } from './power-of-two-choices';
import { RandomBalancer } from './random';
import { RoundRobinBalancer } from './round-robin';
import type { Balancer, BalancerDeps } from './types';
import { WeightedRoundRobinBalancer } from './weighted-round-robin';

export type { Balancer, BalancerDeps, Endpoint, Outcome, PickContext } from './types';
export { LeastConnectionsBalancer } from './least-connections';
export { PowerOfTwoChoicesBalancer } from './power-of-two-choices';
export { RandomBalancer } from './random';
export { RoundRobinBalancer } from './round-robin';
export { WeightedRoundRobinBalancer } from './weighted-round-robin';

export function createBalancer(algorithm: AlgorithmConfig, deps: BalancerDeps): Balancer {
  switch (algorithm.kind) {
    case 'round-robin':
      return new RoundRobinBalancer(deps);
    case 'weighted-round-robin':
      return new WeightedRoundRobinBalancer({ subsetWeights: algorithm.subsetWeights });
    case 'random':
      return new RandomBalancer(deps);
    case 'least-connections':
      return new LeastConnectionsBalancer(deps);
    case 'power-of-two-choices':
      return new PowerOfTwoChoicesBalancer(deps);
    case 'peak-ewma':
    case 'consistent-hash':
    case 'least-utilization':
      // Interim: these land in the next commits; P2C is the safe general-purpose stand-in.
      return new PowerOfTwoChoicesBalancer(deps);
    default:
      return unreachable(algorithm);
  }
}

function unreachable(algorithm: never): never {
  throw new Error(`LB_ALGORITHM_UNKNOWN: no balancer for algorithm kind ${JSON.stringify(algorithm)}`);
}
