/** Slow start with an injected clock and a seeded random source: the factor follows the curve, the share follows it. */
import { SlowStart } from '../../../src/proxy/health/slow-start';
import { UpstreamEndpoint } from '../../../src/proxy/discovery/endpoint-set';
import { mulberry32 } from '../balancer/helpers';

const ep = (n: number) => new UpstreamEndpoint(`10.0.0.${n}:80`, `10.0.0.${n}`, 80, 1, 'default');

function setup(c: { windowMs: number; aggression: number; minWeightPercent: number }) {
  let t = 1_000;
  const ss = new SlowStart(c, () => t, mulberry32(7));
  return { ss, advance: (ms: number) => (t += ms) };
}

describe('SlowStart', () => {
  test.each([
    [1, [0.1, 0.25, 0.5, 0.75, 1]],
    [2, [0.1, 0.5, Math.SQRT1_2, Math.sqrt(0.75), 1]],
  ])('the factor over the window with aggression %d: min 10 %%, then (t/window)^(1/aggression)', (aggression, expected) => {
    const { ss, advance } = setup({ windowMs: 10_000, aggression, minWeightPercent: 10 });
    const e = ep(1);
    ss.begin(e);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      seen.push(ss.factor(e));
      advance(2_500);
    }
    expect(seen.map((x) => Number(x.toFixed(4)))).toEqual(expected.map((x) => Number(x.toFixed(4))));
    expect(e.rampStart).toBe(0);
  });

  test('the share of a ramping endpoint among three follows its factor', () => {
    const { ss, advance } = setup({ windowMs: 10_000, aggression: 1, minWeightPercent: 10 });
    const list = [ep(1), ep(2), ep(3)];
    ss.begin(list[2]);
    for (const at of [2_500, 5_000, 7_500]) {
      advance(at - (at === 2_500 ? 0 : 2_500));
      const f = ss.factor(list[2]);
      let kept = 0;
      const n = 20_000;
      for (let i = 0; i < n; i++) if (ss.keeps(list[2], list)) kept++;
      // picked by the algorithm a third of the time, kept with probability f: share f / 3
      expect(Math.abs(kept / n - f)).toBeLessThan(0.015);
    }
  });

  test('while every endpoint ramps (a first start), every pick stands', () => {
    const { ss } = setup({ windowMs: 10_000, aggression: 1, minWeightPercent: 10 });
    const list = [ep(1), ep(2)];
    list.forEach((e) => ss.begin(e));
    for (let i = 0; i < 1_000; i++) expect(ss.keeps(list[0], list)).toBe(true);
  });
});
