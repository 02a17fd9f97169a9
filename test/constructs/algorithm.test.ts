import { Duration } from 'cdk8s';
import { validateProxyConfig } from '../../src/config';
import { Algorithm, LoadBalancedApp } from '../../src';
import { chart, ECHO, proxyConfig, synthValid } from './helpers';

describe('Algorithm', () => {
  // Each factory, the algorithm object it must write into config.json (defaults filled in by the shared schema).
  const cases: Array<[string, Algorithm, Record<string, unknown>]> = [
    ['roundRobin', Algorithm.roundRobin(), { kind: 'round-robin' }],
    ['weightedRoundRobin', Algorithm.weightedRoundRobin(), { kind: 'weighted-round-robin' }],
    ['random', Algorithm.random(), { kind: 'random' }],
    ['leastConnections', Algorithm.leastConnections(), { kind: 'least-connections' }],
    ['powerOfTwoChoices', Algorithm.powerOfTwoChoices(), { kind: 'power-of-two-choices' }],
    ['peakEwma defaults', Algorithm.peakEwma(), { kind: 'peak-ewma', decayMs: 10000, failurePenaltyMs: 1000 }],
    [
      'peakEwma with durations',
      Algorithm.peakEwma({ decay: Duration.seconds(5), defaultRtt: Duration.millis(20), failurePenalty: Duration.millis(500) }),
      { kind: 'peak-ewma', decayMs: 5000, defaultRttMs: 20, failurePenaltyMs: 500 },
    ],
    [
      'consistentHash on a header',
      Algorithm.consistentHash({ header: 'x-user' }),
      { kind: 'consistent-hash', key: { source: 'header', name: 'x-user' }, loadFactor: 1.25, virtualNodes: 100 },
    ],
    [
      'consistentHash on a cookie',
      Algorithm.consistentHash({ cookie: 'session', loadFactor: 1.5 }),
      { kind: 'consistent-hash', key: { source: 'cookie', name: 'session' }, loadFactor: 1.5, virtualNodes: 100 },
    ],
    [
      'consistentHash on the source IP',
      Algorithm.consistentHash({ sourceIp: true }),
      { kind: 'consistent-hash', key: { source: 'source-ip' }, loadFactor: 1.25, virtualNodes: 100 },
    ],
    [
      'leastUtilization',
      Algorithm.leastUtilization({ header: 'endpoint-load-metrics', staleAfter: Duration.seconds(3) }),
      { kind: 'least-utilization', header: 'endpoint-load-metrics', staleAfterMs: 3000 },
    ],
  ];

  test.each(cases)('%s is written into the gateway config', (_name, algorithm, expected) => {
    // GIVEN an app with this algorithm
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, algorithm });
    // WHEN synthesized
    const objects = synthValid(c);
    // THEN config.json carries exactly that algorithm, and is what the proxy's own validation makes of it
    const config = proxyConfig(objects, 'hello-lb-gateway-');
    expect(config.algorithm).toEqual(expected);
    expect(validateProxyConfig(config)).toEqual(config);
  });

  test('subset weights become the traffic split, and subsets become DNS sources with their subset name', () => {
    // GIVEN two subsets split 9:1, the canary's pods weighing 2 each
    const c = chart();
    new LoadBalancedApp(c, 'hello', {
      name: 'hello',
      container: ECHO,
      subsets: [{ name: 'stable' }, { name: 'canary', image: 'hashicorp/http-echo:1.0.1', replicas: 1, weight: 2 }],
      algorithm: Algorithm.weightedRoundRobin({ subsetWeights: { stable: 9, canary: 1 } }),
    });
    // WHEN synthesized
    const config = proxyConfig(synthValid(c), 'hello-lb-gateway-') as {
      algorithm: unknown;
      upstream: { port: number; sources: Array<Record<string, unknown>>; trafficSplit?: unknown };
    };
    // THEN the split is across subsets, and the per-endpoint weight stays on the canary's source
    expect(config.algorithm).toEqual({ kind: 'weighted-round-robin' });
    expect(config.upstream.trafficSplit).toEqual({ stable: 9, canary: 1 });
    expect(config.upstream.port).toBe(5678);
    expect(config.upstream.sources).toEqual([
      expect.objectContaining({ kind: 'dns', subset: 'stable', weight: 1, hostname: 'hello-stable-headless.$(POD_NAMESPACE).svc.cluster.local' }),
      expect.objectContaining({ kind: 'dns', subset: 'canary', weight: 2, hostname: 'hello-canary-headless.$(POD_NAMESPACE).svc.cluster.local' }),
    ]);
  });

  test('the default algorithm is round robin', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    expect(app.algorithm.kind).toBe('round-robin');
    expect(proxyConfig(synthValid(c), 'hello-lb-gateway-').algorithm).toEqual({ kind: 'round-robin' });
  });

  test('fails when consistent hashing has no key', () => {
    const c = chart();
    expect(() => new LoadBalancedApp(c, 'hello', { container: ECHO, algorithm: Algorithm.consistentHash({}) })).toThrow(
      /LB_CONFIG_INVALID: test\/hello: consistentHash needs exactly one key, got 0; fix: give one of/,
    );
  });

  test('fails when consistent hashing has two keys', () => {
    const c = chart();
    expect(
      () => new LoadBalancedApp(c, 'hello', { container: ECHO, algorithm: Algorithm.consistentHash({ header: 'a', sourceIp: true }) }),
    ).toThrow(/consistentHash needs exactly one key, got 2/);
  });

  test('fails when a subset weight is -1', () => {
    const c = chart();
    expect(
      () =>
        new LoadBalancedApp(c, 'hello', {
          container: ECHO,
          subsets: [{ name: 'stable' }],
          algorithm: Algorithm.weightedRoundRobin({ subsetWeights: { stable: -1 } }),
        }),
    ).toThrow(
      /^LB_CONFIG_INVALID: test\/hello: .*\n  - upstream\.trafficSplit\.stable \(from algorithm subsetWeights\.stable\): .*>=0 \(got -1\); fix: give every declared subset a share >= 0/,
    );
  });

  test('a subset weight of 0 is allowed: it drains the subset', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', {
      name: 'hello',
      container: ECHO,
      subsets: [{ name: 'stable' }, { name: 'canary' }],
      trafficSplit: { stable: 1, canary: 0 },
    });
    const config = proxyConfig(synthValid(c), 'hello-lb-gateway-') as unknown as { upstream: { trafficSplit?: unknown } };
    expect(config.upstream.trafficSplit).toEqual({ stable: 1, canary: 0 });
  });

  test('trafficSplit works with any algorithm, and the split is written once', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', {
      name: 'hello',
      container: ECHO,
      subsets: [{ name: 'stable', replicas: 10 }, { name: 'canary', replicas: 1 }],
      algorithm: Algorithm.peakEwma(),
      trafficSplit: { stable: 90, canary: 10 },
    });
    const config = proxyConfig(synthValid(c), 'hello-lb-gateway-') as unknown as { algorithm: { kind: string }; upstream: { trafficSplit?: unknown } };
    expect(config.algorithm.kind).toBe('peak-ewma');
    expect(config.upstream.trafficSplit).toEqual({ stable: 90, canary: 10 });
  });

  test('fails when the split is given twice', () => {
    const c = chart();
    expect(
      () =>
        new LoadBalancedApp(c, 'hello', {
          container: ECHO,
          subsets: [{ name: 'stable' }, { name: 'canary' }],
          algorithm: Algorithm.weightedRoundRobin({ subsetWeights: { stable: 9, canary: 1 } }),
          trafficSplit: { stable: 9, canary: 1 },
        }),
    ).toThrow(/test\/hello: trafficSplit .*set the split once: remove subsetWeights from Algorithm\.weightedRoundRobin\(\), or remove trafficSplit/);
  });

  test('fails when the split leaves a subset out, naming the prop', () => {
    const c = chart();
    expect(
      () => new LoadBalancedApp(c, 'hello', { container: ECHO, subsets: [{ name: 'stable' }, { name: 'canary' }], trafficSplit: { stable: 90 } }),
    ).toThrow(/upstream\.trafficSplit\.canary \(from trafficSplit\.canary\): subset "canary" has no share/);
  });

  test('fails when a subset weight names an unknown subset', () => {
    const c = chart();
    expect(
      () =>
        new LoadBalancedApp(c, 'hello', {
          container: ECHO,
          subsets: [{ name: 'stable' }, { name: 'canary' }],
          algorithm: Algorithm.weightedRoundRobin({ subsetWeights: { stable: 9, canry: 1 } }),
        }),
    ).toThrow(/LB_CONFIG_INVALID: test\/hello: .*\n  - upstream\.trafficSplit\.canry \(from algorithm subsetWeights\.canry\): names subset "canry", which no discovery source declares; known subsets: stable, canary; fix: give every declared subset a share/);
  });

  test('fails when peak EWMA decay is zero', () => {
    const c = chart();
    expect(
      () => new LoadBalancedApp(c, 'hello', { container: ECHO, algorithm: Algorithm.peakEwma({ decay: Duration.millis(0) }) }),
    ).toThrow(/algorithm\.decayMs \(from algorithm Algorithm\.peakEwma\(\{ decay \}\)\): .*got 0/);
  });

  test('fails when the consistent hash load factor is below 1', () => {
    const c = chart();
    expect(
      () => new LoadBalancedApp(c, 'hello', { container: ECHO, algorithm: Algorithm.consistentHash({ header: 'x', loadFactor: 0.5 }) }),
    ).toThrow(/algorithm\.loadFactor \(from algorithm Algorithm\.consistentHash\(\{ loadFactor \}\)\): .*got 0\.5/);
  });
});
