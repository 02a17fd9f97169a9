import { WeightedRoundRobinBalancer } from '../../../src/proxy/balancer';
import type { Endpoint } from '../../../src/proxy/balancer';
import { endpoint, mulberry32, names, shares } from './helpers';

/** The textbook algorithm, with no caching, to compare against. */
function referencePicker() {
  const current = new Map<Endpoint, number>();
  return (list: readonly Endpoint[]): Endpoint => {
    let total = 0;
    let best: Endpoint = list[0];
    for (const e of list) {
      current.set(e, (current.get(e) ?? 0) + e.weight);
      total += e.weight;
      if (current.get(e)! > current.get(best)!) best = e;
    }
    current.set(best, current.get(best)! - total);
    return best;
  };
}

function sequence(balancer: WeightedRoundRobinBalancer, list: ReturnType<typeof endpoint>[], count: number) {
  return names(Array.from({ length: count }, () => balancer.pick(list, {})));
}

describe('WeightedRoundRobinBalancer (smooth, nginx)', () => {
  test.each([
    { weights: [5, 1, 1], expected: 'a a b a c a a' },
    { weights: [1, 1, 1], expected: 'a b c' },
    { weights: [2, 1], expected: 'a b a' },
    { weights: [3, 2], expected: 'a b a b a' },
    { weights: [4, 2, 1], expected: 'a b a c a b a' },
  ])('weights $weights give $expected, and the cycle repeats', ({ weights, expected }) => {
    const list = weights.map((w, i) => endpoint(String.fromCharCode(97 + i), { weight: w }));
    const wrr = new WeightedRoundRobinBalancer();
    wrr.onEndpointsChanged(list);
    const cycle = weights.reduce((x, y) => x + y, 0);
    expect(sequence(wrr, list, cycle)).toBe(expected);
    expect(sequence(wrr, list, cycle)).toBe(expected);
    expect(sequence(wrr, list, cycle)).toBe(expected);
  });

  test('the weight is the endpoint\'s own, whatever its subset', () => {
    const list = [
      endpoint('a', { weight: 5, subset: 'stable' }),
      endpoint('b', { weight: 1, subset: 'canary' }),
      endpoint('c', { weight: 1, subset: 'canary' }),
    ];
    const wrr = new WeightedRoundRobinBalancer();
    wrr.onEndpointsChanged(list);
    expect(sequence(wrr, list, 7)).toBe('a a b a c a a');
    expect(wrr.describe(list[0])).toMatchObject({ weight: 5 });
  });

  test('shares match the weights over many picks', () => {
    const list = [endpoint('a', { weight: 3 }), endpoint('b', { weight: 2 }), endpoint('c', { weight: 5 })];
    const wrr = new WeightedRoundRobinBalancer();
    const s = shares(100_000, () => wrr.pick(list, {}));
    expect(s.a).toBeCloseTo(0.3, 4);
    expect(s.b).toBeCloseTo(0.2, 4);
    expect(s.c).toBeCloseTo(0.5, 4);
  });

  test('an endpoint left out of some picks keeps its place, and others fill in', () => {
    const [a, b, c] = [endpoint('a', { weight: 5 }), endpoint('b'), endpoint('c')];
    const wrr = new WeightedRoundRobinBalancer();
    wrr.onEndpointsChanged([a, b, c]);
    expect(sequence(wrr, [a, b, c], 2)).toBe('a a');
    expect(sequence(wrr, [b, c], 2)).toBe('b c'); // a ejected for a moment
    const s = shares(7_000, () => wrr.pick([a, b, c], {}));
    expect(s.a).toBeCloseTo(5 / 7, 2);
  });

  test('a membership change keeps the running state of the endpoints that stay', () => {
    const [a, b, c] = [endpoint('a', { weight: 5 }), endpoint('b'), endpoint('c')];
    const wrr = new WeightedRoundRobinBalancer();
    wrr.onEndpointsChanged([a, b, c]);
    sequence(wrr, [a, b, c], 3);
    const current = wrr.describe(a).current;
    const d = endpoint('d');
    wrr.onEndpointsChanged([a, b, c, d]);
    expect(wrr.describe(a).current).toBe(current);
    wrr.onEndpointsChanged([a, b]);
    expect(wrr.describe(c).current).toBeUndefined();
  });

  test('matches the textbook algorithm while the eligible list keeps changing (retries, ejections)', () => {
    const all = [5, 1, 3, 2, 1].map((w, i) => endpoint(String.fromCharCode(97 + i), { weight: w }));
    const wrr = new WeightedRoundRobinBalancer();
    wrr.onEndpointsChanged(all);
    const reference = referencePicker();
    const random = mulberry32(21);
    const variants = [all, all.slice(1), all.filter((_, i) => i !== 2), [all[3], all[4]]];
    const got: string[] = [];
    const want: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      // Mostly the full list and the list without a, as retries do; sometimes others; sometimes a fresh copy.
      const r = random();
      const list = r < 0.4 ? all : r < 0.8 ? variants[1] : r < 0.9 ? variants[2] : [...variants[3]];
      got.push(wrr.pick(list, {})!.address);
      want.push(reference(list).address);
    }
    expect(got.join(' ')).toBe(want.join(' '));
  });

  test('returns undefined for no endpoints', () => {
    expect(new WeightedRoundRobinBalancer().pick([], {})).toBeUndefined();
  });
});
