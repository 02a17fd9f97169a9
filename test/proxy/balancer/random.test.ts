import { RandomBalancer } from '../../../src/proxy/balancer';
import { deps, endpoint, endpoints, mulberry32, scripted, shares } from './helpers';

describe('RandomBalancer', () => {
  test.each([
    { weights: [3, 1], expected: [0.75, 0.25] },
    { weights: [1, 1, 1, 1], expected: [0.25, 0.25, 0.25, 0.25] },
    { weights: [0.5, 1.5, 2], expected: [0.125, 0.375, 0.5] },
  ])('weights $weights give shares $expected', ({ weights, expected }) => {
    const list = weights.map((w, i) => endpoint(String.fromCharCode(97 + i), { weight: w }));
    const random = new RandomBalancer(deps(mulberry32(7)));
    const s = shares(100_000, () => random.pick(list, {}));
    expected.forEach((share, i) => expect(Math.abs(s[list[i].address] - share)).toBeLessThan(0.01));
  });

  test.each([0, 0.999999, 1])('stays in range when the generator returns %p', (r) => {
    const list = [endpoint('a', { weight: 3 }), endpoint('b', { weight: 1 })];
    const random = new RandomBalancer(deps(scripted([r])));
    expect(list).toContain(random.pick(list, {}));
    const equal = endpoints(3);
    expect(equal).toContain(new RandomBalancer(deps(scripted([r]))).pick(equal, {}));
  });

  test('returns undefined for no endpoints and the only one for one', () => {
    const random = new RandomBalancer(deps());
    const [a] = endpoints(1);
    expect(random.pick([], {})).toBeUndefined();
    expect(random.pick([a], {})).toBe(a);
  });
});
