import { LeastUtilizationBalancer } from '../../../src/proxy/balancer';
import type { Endpoint } from '../../../src/proxy/balancer';
import { endpoint, endpoints, fakeClock, mulberry32, scripted, shares } from './helpers';

function setup(staleAfterMs = 10_000, random: () => number = mulberry32(1)) {
  const clock = fakeClock();
  const balancer = new LeastUtilizationBalancer({ staleAfterMs }, { random, now: clock.now });
  const report = (e: Endpoint, loadReport: number) => balancer.onResult(e, { ok: true, latencyMs: 1, loadReport });
  return { clock, balancer, report };
}

describe('LeastUtilizationBalancer', () => {
  test('prefers the endpoint reporting the lower utilization', () => {
    const { balancer, report } = setup();
    const [a, b] = endpoints(2);
    report(a, 0.9);
    report(b, 0.2);
    expect(shares(1_000, () => balancer.pick([a, b], {}))).toEqual({ b: 1 });
  });

  test('prefers lower utilization over lower in-flight', () => {
    const { balancer, report } = setup();
    const [busy, idle] = [endpoint('busy', { inFlight: 20 }), endpoint('idle')];
    report(busy, 0.1);
    report(idle, 0.6);
    expect(balancer.pick([busy, idle], {})).toBe(busy);
  });

  test('never picks the most utilized of several', () => {
    const { balancer, report } = setup();
    const list = endpoints(5);
    list.forEach((e, i) => report(e, 0.1 * (i + 1)));
    const s = shares(20_000, () => balancer.pick(list, {}));
    expect(s.e).toBeUndefined();
    expect(s.a).toBeGreaterThan(s.b);
    expect(s.b).toBeGreaterThan(s.c);
  });

  test('lets reports expire after staleAfterMs, then in-flight decides', () => {
    const { clock, balancer, report } = setup(5_000);
    const [a, b] = [endpoint('a'), endpoint('b', { inFlight: 3 })];
    report(a, 0.9);
    report(b, 0.1);
    clock.advance(5_000);
    expect(balancer.pick([a, b], {})).toBe(b); // still fresh at exactly staleAfterMs
    expect(balancer.describe(b)).toMatchObject({ utilization: 0.1, reportAgeMs: 5_000 });
    clock.advance(1);
    expect(balancer.pick([a, b], {})).toBe(a); // both unreported: fewer in flight wins
    expect(balancer.describe(b)).toMatchObject({ utilization: undefined, lastReport: 0.1 });
  });

  test('compares an unreported endpoint neutrally: in-flight decides', () => {
    const { balancer, report } = setup();
    const [reported, fresh] = [endpoint('reported', { inFlight: 2 }), endpoint('fresh')];
    report(reported, 0.05);
    expect(balancer.pick([reported, fresh], {})).toBe(fresh);
    fresh.inFlight = 5;
    expect(balancer.pick([reported, fresh], {})).toBe(reported);
  });

  test('breaks equal reports by in-flight per weight', () => {
    const { balancer, report } = setup();
    const [a, b] = [endpoint('a', { inFlight: 1 }), endpoint('b', { inFlight: 1, weight: 3 })];
    report(a, 0.5);
    report(b, 0.5);
    expect(balancer.pick([a, b], {})).toBe(b);
  });

  test('spreads evenly when all report the same', () => {
    const { balancer, report } = setup();
    const list = endpoints(4);
    list.forEach((e) => report(e, 0.5));
    const s = shares(40_000, () => balancer.pick(list, {}));
    for (const e of list) expect(Math.abs(s[e.address] - 0.25)).toBeLessThan(0.015);
  });

  test('samples two distinct endpoints even when the generator repeats itself', () => {
    const { balancer, report } = setup(10_000, scripted([0]));
    const [hot, cool] = endpoints(2);
    report(hot, 0.95);
    report(cool, 0.05);
    for (let i = 0; i < 10; i++) expect(balancer.pick([hot, cool], {})).toBe(cool);
  });

  test('ignores outcomes without a report and clamps out-of-range reports', () => {
    const { balancer, report } = setup();
    const [a] = endpoints(1);
    report(a, 0.4);
    balancer.onResult(a, { ok: true, latencyMs: 1 });
    expect(balancer.describe(a).utilization).toBe(0.4);
    report(a, 7);
    expect(balancer.describe(a).utilization).toBe(1);
    report(a, Number.NaN);
    expect(balancer.describe(a).utilization).toBe(1);
  });

  test('forgets endpoints that leave the set', () => {
    const { balancer, report } = setup();
    const [a, b] = endpoints(2);
    report(a, 0.4);
    balancer.onEndpointsChanged([b]);
    expect(balancer.describe(a).lastReport).toBeUndefined();
  });

  test('returns undefined for no endpoints and the only one for one', () => {
    const { balancer } = setup();
    const [a] = endpoints(1);
    expect(balancer.pick([], {})).toBeUndefined();
    expect(balancer.pick([a], {})).toBe(a);
  });
});
