import { RoundRobinBalancer } from '../../../src/proxy/balancer';
import { deps, endpoint, endpoints, names, scripted } from './helpers';

/** Round robin whose first pick lands on the first endpoint (the random start drawn as 0). */
function roundRobin(): RoundRobinBalancer {
  return new RoundRobinBalancer(deps(scripted([0])));
}

function picks(rr: RoundRobinBalancer, list: ReturnType<typeof endpoints>, count: number): string {
  return names(Array.from({ length: count }, () => rr.pick(list, {})));
}

describe('RoundRobinBalancer', () => {
  test('returns undefined for no endpoints', () => {
    expect(roundRobin().pick([], {})).toBeUndefined();
  });

  test('rotates exactly: a b c a b c', () => {
    const rr = roundRobin();
    const all = endpoints(3);
    rr.onEndpointsChanged(all);
    expect(picks(rr, all, 7)).toBe('a b c a b c a');
  });

  test('starts the rotation at a random position', () => {
    const rr = new RoundRobinBalancer(deps(scripted([0.5])));
    const all = endpoints(4);
    rr.onEndpointsChanged(all);
    expect(picks(rr, all, 5)).toBe('c d a b c');
  });

  test.each([
    { change: 'an endpoint added after the cursor', next: (l: string[]) => [...l, 'd'], expected: 'c d a b' },
    { change: 'an endpoint added before the cursor', next: (l: string[]) => ['z', ...l], expected: 'c z a b' },
    { change: 'the last pick removed', next: (l: string[]) => l.filter((x) => x !== 'b'), expected: 'c a c a' },
    { change: 'the next one removed', next: (l: string[]) => l.filter((x) => x !== 'c'), expected: 'a b a b' },
    { change: 'the last pick removed and another added', next: () => ['a', 'c', 'd'], expected: 'c d a c' },
    { change: 'everything after the cursor removed', next: () => ['a'], expected: 'a a a a' },
  ])('stays in rotation with $change', ({ next, expected }) => {
    const byName = new Map(['a', 'b', 'c', 'd', 'z'].map((n) => [n, endpoint(n)]));
    const rr = roundRobin();
    const before = ['a', 'b', 'c'].map((n) => byName.get(n)!);
    rr.onEndpointsChanged(before);
    expect(picks(rr, before, 2)).toBe('a b');
    const after = next(['a', 'b', 'c']).map((n) => byName.get(n)!);
    rr.onEndpointsChanged(after);
    expect(picks(rr, after, 4)).toBe(expected);
  });

  test('continues after the last pick when the pool skips onEndpointsChanged', () => {
    const rr = roundRobin();
    const [a, b, c, d] = endpoints(4);
    rr.onEndpointsChanged([a, b, c, d]);
    expect(picks(rr, [a, b, c, d], 2)).toBe('a b');
    expect(picks(rr, [a, c, d], 3)).toBe('c d a');
  });

  test('a retry that excludes the tried endpoint moves on, and the rotation continues after it', () => {
    const rr = roundRobin();
    const all = endpoints(3);
    const [a, b, c] = all;
    rr.onEndpointsChanged(all);
    expect(rr.pick(all, {})).toBe(a);
    expect(rr.pick([b, c], {})).toBe(b); // retry of the first request
    expect(picks(rr, all, 3)).toBe('c a b');
  });

  test('handles endpoints it was never told about', () => {
    const rr = roundRobin();
    const all = endpoints(3);
    expect(picks(rr, all, 4)).toBe('a b c a');
  });

  test('describe shows the rank and the cursor', () => {
    const rr = roundRobin();
    const all = endpoints(2);
    rr.onEndpointsChanged(all);
    rr.pick(all, {});
    expect(rr.describe(all[0])).toEqual({ rank: 0, last: 'yes' });
    expect(rr.describe(all[1])).toEqual({ rank: 1, last: undefined });
  });
});
