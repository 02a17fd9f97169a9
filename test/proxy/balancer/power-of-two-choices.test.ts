import { PowerOfTwoChoicesBalancer } from '../../../src/proxy/balancer';
import { deps, endpoint, endpoints, mulberry32, scripted, shares } from './helpers';

describe('PowerOfTwoChoicesBalancer', () => {
  test.each([0, 0.3, 0.5, 0.7, 0.999999])(
    'compares two distinct endpoints even when the generator repeats itself (%p every time)',
    (r) => {
      const list = [endpoint('busy', { inFlight: 10 }), endpoint('idle')];
      const p2c = new PowerOfTwoChoicesBalancer(deps(scripted([r])));
      for (let i = 0; i < 50; i++) expect(p2c.pick(list, {})?.address).toBe('idle');
      const reversed = [list[1], list[0]];
      for (let i = 0; i < 50; i++) expect(p2c.pick(reversed, {})?.address).toBe('idle');
    },
  );

  test('never picks the busiest of two over a seeded run', () => {
    const list = [endpoint('a', { inFlight: 10 }), endpoint('b')];
    const p2c = new PowerOfTwoChoicesBalancer(deps(mulberry32(9)));
    expect(shares(10_000, () => p2c.pick(list, {}))).toEqual({ b: 1 });
  });

  test('spreads roughly uniformly under equal load', () => {
    const list = endpoints(5);
    const p2c = new PowerOfTwoChoicesBalancer(deps(mulberry32(11)));
    const s = shares(100_000, () => p2c.pick(list, {}));
    for (const e of list) expect(Math.abs(s[e.address] - 0.2)).toBeLessThan(0.01);
  });

  test('never picks the most loaded of many (it always loses its comparison)', () => {
    const list = [...endpoints(4), endpoint('hot', { inFlight: 50 })];
    const p2c = new PowerOfTwoChoicesBalancer(deps(mulberry32(13)));
    expect(shares(20_000, () => p2c.pick(list, {})).hot).toBeUndefined();
  });

  test('respects weights through in-flight per weight', () => {
    const list = [endpoint('heavy', { weight: 3 }), endpoint('light')];
    const p2c = new PowerOfTwoChoicesBalancer(deps(mulberry32(17)));
    for (let i = 0; i < 400; i++) p2c.pick(list, {})!.inFlight++;
    expect(list.map((e) => e.inFlight)).toEqual([300, 100]);
  });

  test('returns the only endpoint, and undefined for none', () => {
    const p2c = new PowerOfTwoChoicesBalancer(deps());
    const [a] = endpoints(1);
    expect(p2c.pick([a], {})).toBe(a);
    expect(p2c.pick([], {})).toBeUndefined();
  });
});
