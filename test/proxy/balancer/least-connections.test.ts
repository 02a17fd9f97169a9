import { LeastConnectionsBalancer } from '../../../src/proxy/balancer';
import { deps, endpoint, endpoints, mulberry32, shares } from './helpers';

describe('LeastConnectionsBalancer', () => {
  test.each([
    { case: 'the lowest in-flight', specs: [{ inFlight: 3 }, { inFlight: 1 }, { inFlight: 2 }], expected: 'b' },
    {
      case: 'the lowest in-flight per weight',
      specs: [
        { inFlight: 4, weight: 4 },
        { inFlight: 2, weight: 1 },
      ],
      expected: 'a',
    },
    {
      case: 'the heavier of two idle endpoints',
      specs: [
        { inFlight: 0, weight: 1 },
        { inFlight: 0, weight: 2 },
      ],
      expected: 'b',
    },
    { case: 'the last one when it is the least loaded', specs: [{ inFlight: 1 }, { inFlight: 1 }, {}], expected: 'c' },
  ])('picks $case', ({ specs, expected }) => {
    const list = specs.map((s, i) => endpoint(String.fromCharCode(97 + i), s));
    const lc = new LeastConnectionsBalancer(deps(mulberry32(1)));
    for (let i = 0; i < 100; i++) expect(lc.pick(list, {})?.address).toBe(expected);
  });

  test('spreads ties uniformly', () => {
    const list = [...endpoints(3), endpoint('busy', { inFlight: 5 })];
    const lc = new LeastConnectionsBalancer(deps(mulberry32(3)));
    const s = shares(90_000, () => lc.pick(list, {}));
    for (const name of ['a', 'b', 'c']) expect(Math.abs(s[name] - 1 / 3)).toBeLessThan(0.01);
    expect(s.busy).toBeUndefined();
  });

  test('keeps in-flight balanced when requests pile up', () => {
    const list = [endpoint('a', { weight: 2 }), endpoint('b'), endpoint('c')];
    const lc = new LeastConnectionsBalancer(deps(mulberry32(5)));
    for (let i = 0; i < 400; i++) lc.pick(list, {})!.inFlight++;
    expect(list.map((e) => e.inFlight)).toEqual([200, 100, 100]);
  });

  test('returns undefined for no endpoints', () => {
    expect(new LeastConnectionsBalancer(deps()).pick([], {})).toBeUndefined();
  });
});
