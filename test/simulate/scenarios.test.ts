/**
 * The shipped scenarios, and the figures that matter in each for the algorithms where they should hold. Every
 * property is a function, and each one is also run against an algorithm that must fail it, so that none of these
 * tests can pass for an algorithm that lost the property (a regression) or pass whatever happens.
 */
import { simulate } from '../../src/simulate';
import type { SimulationResult } from '../../src/simulate';
import { benchSlowShort, share, shareBetween, shipped, watched } from './helpers';

/** Scenario 1: off the degraded backend within 2 s of it turning slow, and a p99 near the oracle's. */
const shiftsAwayFast = (r: SimulationResult) => {
  const w = watched(r, 'b4');
  return w.shiftMs !== null && w.shiftMs <= 2_000;
};
const p99NearOracle = (r: SimulationResult, factor: number) => r.p99OverOracle !== undefined && r.p99OverOracle <= factor;

describe('scenario degraded (one backend 10x slower from 10 s to 30 s)', () => {
  const scenario = shipped('degraded');
  const ewma = simulate('peak-ewma', scenario);
  const rr = simulate('round-robin', scenario);

  test('peak-EWMA shifts away within 2 s, and its p99 is no worse than the JSQ oracle', () => {
    expect(watched(ewma, 'b4').shiftMs).toBeLessThanOrEqual(2_000);
    expect(shiftsAwayFast(ewma)).toBe(true);
    expect(p99NearOracle(ewma, 1)).toBe(true);
  });

  test('peak-EWMA gives the recovered backend its fair share back (no starvation, traefik#12306)', () => {
    const w = watched(ewma, 'b4');
    expect(w.recoverMs).not.toBeNull();
    expect(w.recoverMs as number).toBeLessThan(20_000);
    expect(shareBetween(ewma, 'b4', 45_000, 50_000)).toBeGreaterThan(0.2);
  });

  test('P2C and least-connections stay within 1.3x of the oracle p99', () => {
    for (const a of ['p2c', 'least-connections']) expect({ a, ok: p99NearOracle(simulate(a, scenario), 1.3) }).toEqual({ a, ok: true });
  });

  test('fails for round-robin: it never shifts away and its p99 is far from the oracle', () => {
    expect(watched(rr, 'b4').shiftMs).toBeNull();
    expect(shiftsAwayFast(rr)).toBe(false);
    expect(p99NearOracle(rr, 1.3)).toBe(false);
    expect(rr.latencyMs.p99).toBeGreaterThan(10 * ewma.latencyMs.p99);
  });
});

describe('scenario degraded-fast-fail (one backend answers 500 in 1 ms)', () => {
  const scenario = shipped('degraded-fast-fail');
  // Without outlier detection the balancer alone must keep traffic off the failing backend.
  const noEjection = { outlierDetection: { consecutiveFailures: 1_000_000 } };
  const attracted = (r: SimulationResult) => shareBetween(r, 'b4', 11_000, 30_000) > 0.25;

  test('peak-EWMA is not attracted to the fast failures (ingress-nginx#9882), even without outlier detection', () => {
    const r = simulate('peak-ewma', scenario, { proxy: noEjection, oracle: false });
    expect(shareBetween(r, 'b4', 11_000, 30_000)).toBeLessThan(0.05);
    expect(attracted(r)).toBe(false);
  });

  test('fails for least-connections without outlier detection: fast failures free its slots, so it attracts traffic', () => {
    const r = simulate('least-connections', scenario, { proxy: noEjection, oracle: false });
    expect(attracted(r)).toBe(true);
  });

  test('with the default outlier detection every algorithm ejects it, and peak-EWMA brings it back after it recovers', () => {
    const r = simulate('peak-ewma', scenario);
    expect(watched(r, 'b4').shiftMs).toBeLessThanOrEqual(2_000);
    expect(watched(r, 'b4').recoverMs).not.toBeNull();
    expect(r.errorRate).toBeLessThan(0.005);
  });
});

describe('scenario heterogeneous (1x, 2x, 4x capacity, bimodal cost)', () => {
  const withinCapacity = (r: SimulationResult) => r.errorRate === 0 && p99NearOracle(r, 1.6);

  // 12 s instead of 30 s: no events in these scenarios, and the figures settle within seconds.
  const short = (name: string) => ({ ...shipped(name), durationMs: 12_000 });

  test.each(['heterogeneous-70', 'heterogeneous-90'])('%s: peak-EWMA and P2C stay near the oracle and never overload the small backend', (name) => {
    const scenario = short(name);
    for (const a of ['peak-ewma', 'p2c']) {
      const r = simulate(a, scenario);
      expect({ a, ok: withinCapacity(r) }).toEqual({ a, ok: true });
      expect(share(r, 'small')).toBeLessThan(share(r, 'large'));
    }
  });

  test('fails for round-robin at 90%: a third of the load on the 1x backend queues it up to the per-endpoint limit', () => {
    const r = simulate('round-robin', short('heterogeneous-90'), { oracle: false });
    expect(withinCapacity(r)).toBe(false);
    expect(r.latencyMs.p99).toBeGreaterThan(1_000);
  });
});

describe('scenario churn (a crash, two warming pods, a scale-down)', () => {
  const scenario = shipped('churn');
  // A cold pod (5x slower at first) should ramp up: well under its fair share in its first 5 s.
  const noBurst = (r: SimulationResult) => (watched(r, 'n1').peakOverFair ?? Infinity) <= 0.8;

  test('peak-EWMA: off the crashed backend within 2 s, no burst to a new pod (linkerd2#9652), retries hide the crash', () => {
    const r = simulate('peak-ewma', scenario);
    expect(watched(r, 'b2').shiftMs).toBeLessThanOrEqual(2_000);
    expect(noBurst(r)).toBe(true);
    expect(r.errorRate).toBeLessThan(0.001);
    expect(r.retryAmplification).toBeGreaterThan(1);
    expect(r.retryAmplification).toBeLessThan(1.01);
  });

  test('fails for round-robin: a cold pod gets its full share at once', () => {
    const r = simulate('round-robin', scenario, { oracle: false });
    expect(noBurst(r)).toBe(false);
    expect(watched(r, 'n1').peakOverFair).toBeGreaterThan(0.95);
  });
});

describe('scenario bench-slow (1/1/20 ms backends, 32 closed-loop clients)', () => {
  const scenario = benchSlowShort();
  const nginx = simulate('nginx-least-conn', scenario, { oracle: false });
  const halfOfNginx = (r: SimulationResult) => r.latencyMs.p99 <= 0.5 * nginx.latencyMs.p99;

  test('peak-EWMA: p99 at most half of nginx least_conn in the same simulation, under 1% to the slow backend', () => {
    const r = simulate('peak-ewma', scenario, { oracle: false });
    expect(halfOfNginx(r)).toBe(true);
    expect(share(r, 'slow')).toBeLessThan(0.01);
    expect(share(nginx, 'slow')).toBeGreaterThan(0.03);
  });

  test('fails for P2C and least-connections: blind to latency, they send the slow backend over 1% and their p99 is its 20 ms', () => {
    for (const a of ['p2c', 'least-connections']) {
      const r = simulate(a, scenario, { oracle: false });
      expect({ a, half: halfOfNginx(r) }).toEqual({ a, half: false });
      expect(share(r, 'slow')).toBeGreaterThan(0.01);
    }
  });
});
