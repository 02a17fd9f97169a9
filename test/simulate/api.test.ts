import { Algorithm } from '../../src';
import { checkScenario, simulate, SimulationError, ScenarioError } from '../../src/simulate';
import type { Scenario } from '../../src/simulate';
import { validateProxyConfig } from '../../src/config';

const tiny: Scenario = {
  name: 'tiny',
  description: 'two backends, one twice as slow',
  durationMs: 3_000,
  backends: [
    { name: 'a', latency: { kind: 'fixed', ms: 5 } },
    { name: 'b', latency: { kind: 'fixed', ms: 10 } },
  ],
  load: { kind: 'open', ratePerSec: 400, arrivals: 'constant' },
};

describe('simulate()', () => {
  test('takes what users have in code: an Algorithm, a config object, a whole proxy config, or a name', () => {
    const fromClass = simulate(Algorithm.peakEwma(), tiny, { oracle: false });
    const fromConfig = simulate({ kind: 'peak-ewma' }, tiny, { oracle: false });
    const fromName = simulate('peak-ewma', tiny, { oracle: false });
    const proxy = validateProxyConfig({ version: 1, upstream: { port: 80, sources: [{ kind: 'dns', hostname: 'app' }] }, algorithm: { kind: 'peak-ewma' } });
    const fromProxyConfig = simulate(proxy, tiny, { oracle: false });
    expect(fromConfig).toEqual(fromClass);
    expect(fromName).toEqual(fromClass);
    expect(fromProxyConfig).toEqual(fromClass);
    expect(fromClass.algorithm).toBe('peak-ewma');
    expect(fromClass.requests).toBe(1_200);
  });

  test('the algorithm settings reach the real balancer: a decay changes the picks', () => {
    const slowForgetting = simulate(Algorithm.peakEwma(), tiny, { oracle: false });
    const p2c = simulate(Algorithm.powerOfTwoChoices(), tiny, { oracle: false });
    expect(slowForgetting.backends[1].share).toBeLessThan(p2c.backends[1].share);
  });

  test('reports the oracle and the gap to it unless told not to', () => {
    const r = simulate('round-robin', tiny);
    expect(r.oracle?.p99).toBeGreaterThan(0);
    expect(r.p99OverOracle).toBeCloseTo(r.latencyMs.p99 / (r.oracle as { p99: number }).p99, 3);
    expect(simulate('round-robin', tiny, { oracle: false }).oracle).toBeUndefined();
  });

  test('runs several proxy replicas, each with its own view', () => {
    const r = simulate('least-connections', { ...tiny, proxies: 3 }, { oracle: false });
    expect(r.requests).toBe(1_200);
    expect(r.backends[0].share + r.backends[1].share).toBeCloseTo(1, 9);
  });

  test('closed-loop load: N clients, each waiting for its answer', () => {
    const r = simulate('round-robin', { ...tiny, load: { kind: 'closed', clients: 2 } }, { oracle: false });
    // two clients alternating between 5 ms and 10 ms answers: 2 x 3000 / 7.5 = 800 requests (one more may start at the end)
    expect(r.requests).toBeGreaterThanOrEqual(800);
    expect(r.requests).toBeLessThanOrEqual(801);
  });

  test('fails with the name and the fix for an unknown algorithm', () => {
    expect(() => simulate('fastest', tiny)).toThrow(SimulationError);
    expect(() => simulate('fastest', tiny)).toThrow(/unknown algorithm "fastest"; fix: use one of .*peak-ewma.*nginx-least-conn/);
  });

  test('fails with the field, the value and the fix for a bad algorithm config', () => {
    expect(() => simulate({ kind: 'peak-ewma', decayMs: -1 }, tiny)).toThrow(/LB_SIMULATE_INVALID: .*decayMs.*fix/);
  });
});

describe('checkScenario()', () => {
  test('fails naming each bad field with its value and the fix', () => {
    const bad = { ...tiny, durationMs: -5, backends: [{ name: 'a', latency: { kind: 'lognormal', medianMs: 10, p99Ms: 5 } }] } as Scenario;
    expect(() => checkScenario(bad)).toThrow(ScenarioError);
    expect(() => checkScenario(bad)).toThrow(/scenario "tiny": durationMs: .* \(got -5\); backends\.0\.latency: p99Ms must be at least medianMs.*; fix:/);
  });

  test('fails for a watch of a backend that does not exist, listing the backends', () => {
    expect(() => checkScenario({ ...tiny, watch: [{ backend: 'c' }] })).toThrow(/watch\.0\.backend: no backend is named "c"; the backends are a, b/);
  });

  test('fails for two backends with one name', () => {
    expect(() => checkScenario({ ...tiny, backends: [tiny.backends[0], tiny.backends[0]] })).toThrow(/"a" is used twice/);
  });
});

describe('the network model', () => {
  test('a fixed round trip distribution is the same as networkMs', () => {
    const a = simulate('p2c', { ...tiny, networkMs: 2 }, { oracle: false });
    const b = simulate('p2c', { ...tiny, network: { kind: 'fixed', ms: 2 } }, { oracle: false });
    expect(b).toEqual(a);
    expect(a.latencyMs.p50).toBeGreaterThanOrEqual(7);
  });

  test('a noisy round trip widens the tail and moves peak-EWMA towards the slow backend', () => {
    const calm = simulate('peak-ewma', { ...tiny, networkMs: 1 }, { oracle: false });
    const noisy = simulate('peak-ewma', { ...tiny, network: { kind: 'lognormal', medianMs: 1, p99Ms: 20 } }, { oracle: false });
    expect(noisy.latencyMs.p99).toBeGreaterThan(calm.latencyMs.p99);
    expect(noisy.backends[1].share).toBeGreaterThan(calm.backends[1].share);
  });
});
