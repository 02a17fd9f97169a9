import { ALGORITHM_KINDS, AlgorithmSchema } from '../../../src/config/algorithm';
import type { AlgorithmInput } from '../../../src/config/algorithm';
import {
  ConsistentHashBalancer,
  createBalancer,
  createUpstreamBalancer,
  LeastConnectionsBalancer,
  LeastUtilizationBalancer,
  PeakEwmaBalancer,
  PowerOfTwoChoicesBalancer,
  RandomBalancer,
  RoundRobinBalancer,
  SplitBalancer,
  WeightedRoundRobinBalancer,
} from '../../../src/proxy/balancer';
import { deps, endpoints } from './helpers';

/** A minimal valid config for each kind; the schema fills in the defaults. */
function minimal(kind: string): AlgorithmInput {
  if (kind === 'consistent-hash') return { kind, key: { source: 'header', name: 'x-user' } };
  return { kind } as AlgorithmInput;
}

describe('createBalancer', () => {
  test.each(ALGORITHM_KINDS.map((k) => [k]))('creates a working %s balancer', (kind) => {
    const balancer = createBalancer(AlgorithmSchema.parse(minimal(kind)), deps());
    const all = endpoints(3);
    balancer.onEndpointsChanged(all);
    const picked = balancer.pick(all, { hashKey: 'user-1' });
    expect(all).toContain(picked);
    expect(balancer.pick([], {})).toBeUndefined();
    balancer.onResult(picked!, { ok: true, status: 200, latencyMs: 5, loadReport: 0.5 });
    expect(typeof balancer.describe(picked!)).toBe('object');
  });

  const classes: Record<string, unknown> = {
    'round-robin': RoundRobinBalancer,
    'weighted-round-robin': WeightedRoundRobinBalancer,
    random: RandomBalancer,
    'least-connections': LeastConnectionsBalancer,
    'power-of-two-choices': PowerOfTwoChoicesBalancer,
    'peak-ewma': PeakEwmaBalancer,
    'consistent-hash': ConsistentHashBalancer,
    'least-utilization': LeastUtilizationBalancer,
  };

  test.each(ALGORITHM_KINDS.map((k) => [k]))('maps %s to its own algorithm', (kind) => {
    expect(classes[kind]).toBeDefined();
    expect(createBalancer(AlgorithmSchema.parse(minimal(kind)), deps())).toBeInstanceOf(classes[kind] as never);
  });

  test('wraps the algorithm in a split across subsets only when the config has a traffic split', () => {
    const upstream = { name: 'app', port: 80, sources: [] };
    const plain = createUpstreamBalancer({ algorithm: AlgorithmSchema.parse(minimal('round-robin')), upstream }, deps());
    expect(plain).toBeInstanceOf(RoundRobinBalancer);
    const split = createUpstreamBalancer(
      { algorithm: AlgorithmSchema.parse(minimal('peak-ewma')), upstream: { ...upstream, trafficSplit: { stable: 9, canary: 1 } } },
      deps(),
    );
    expect(split).toBeInstanceOf(SplitBalancer);
  });
});
