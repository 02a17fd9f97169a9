import { ALGORITHM_KINDS, AlgorithmSchema } from '../../../src/config/algorithm';
import type { AlgorithmInput } from '../../../src/config/algorithm';
import { createBalancer } from '../../../src/proxy/balancer';
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

  test('covers every kind in the config', () => {
    expect(ALGORITHM_KINDS.length).toBe(8);
  });
});
