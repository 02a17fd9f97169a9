/** The traffic split across subsets: exact shares per subset, the algorithm inside each, and its edge cases. */
import { createBalancer, SplitBalancer } from '../../../src/proxy/balancer';
import type { Endpoint } from '../../../src/proxy/balancer';
import { deps, endpoint } from './helpers';

const stable = (n: number): Endpoint[] => Array.from({ length: n }, (_, i) => endpoint(`s${i}`, { subset: 'stable' }));
const canary = (n: number): Endpoint[] => Array.from({ length: n }, (_, i) => endpoint(`c${i}`, { subset: 'canary' }));

function picks(b: SplitBalancer, list: readonly Endpoint[], n: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const e = b.pick(list, {});
    const k = e?.address ?? 'none';
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

const split = (shares: Record<string, number>, kind = 'round-robin') => new SplitBalancer(shares, () => createBalancer({ kind } as never, deps()));

describe('SplitBalancer', () => {
  test.each([2, 10, 50])('90/10 gives the canary exactly 10 %% of picks with %i stable endpoints', (n) => {
    const list = [...stable(n), ...canary(1)];
    const b = split({ stable: 90, canary: 10 });
    b.onEndpointsChanged(list);
    const counts = picks(b, list, 1000);
    expect(counts.c0).toBe(100);
    // round robin inside the stable subset: the 900 stable picks spread evenly over its endpoints
    const stableCounts = stable(n).map((e) => counts[e.address] ?? 0);
    expect(Math.max(...stableCounts) - Math.min(...stableCounts)).toBeLessThanOrEqual(1);
  });

  test('the shares are spread out, not bunched: 9 stable picks between canary picks', () => {
    const list = [...stable(2), ...canary(1)];
    const b = split({ stable: 9, canary: 1 });
    b.onEndpointsChanged(list);
    const seq = Array.from({ length: 30 }, () => (b.pick(list, {})?.subset === 'canary' ? 'C' : '.')).join('');
    expect(seq).toBe('....C.........C.........C.....');
  });

  test('a share of 0 is never picked, even when it is the only subset with endpoints left', () => {
    const list = [...stable(2), ...canary(1)];
    const b = split({ stable: 1, canary: 0 });
    b.onEndpointsChanged(list);
    expect(picks(b, list, 100).c0).toBeUndefined();
    expect(b.pick(canary(1), {})).toBeUndefined();
  });

  test('a subset with no eligible endpoint sits out and the others take its share', () => {
    const list = [...stable(2), ...canary(1)];
    const b = split({ stable: 50, canary: 50 });
    b.onEndpointsChanged(list);
    const onlyStable = list.filter((e) => e.subset === 'stable');
    expect(picks(b, onlyStable, 10)).toEqual({ s0: 5, s1: 5 });
  });

  test('feedback reaches the algorithm instance of the endpoint\'s subset', () => {
    const list = [...stable(2), ...canary(2)];
    const b = new SplitBalancer({ stable: 1, canary: 1 }, () => createBalancer({ kind: 'peak-ewma', decayMs: 10_000, failurePenaltyMs: 1000 }, deps()));
    b.onEndpointsChanged(list);
    b.onResult(list[2], { ok: true, latencyMs: 500 });
    b.onResult(list[3], { ok: true, latencyMs: 5 });
    // c1 is much faster than c0 inside the canary subset, so canary picks go to c1
    const counts = picks(b, list, 20);
    expect(counts.c1).toBe(10);
    expect(b.describe(list[2])).toMatchObject({ subsetShare: 1 });
  });

  test('an endpoint of a subset the split does not name is never picked', () => {
    const other = endpoint('x0', { subset: 'other' });
    const b = split({ stable: 1 });
    b.onEndpointsChanged([other, ...stable(1)]);
    expect(picks(b, [other, ...stable(1)], 5)).toEqual({ s0: 5 });
  });
});
