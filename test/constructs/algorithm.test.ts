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

  test('subset weights reach the config, and subsets become DNS sources with their subset name', () => {
    // GIVEN two subsets weighted 9:1
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
      upstream: { port: number; sources: Array<Record<string, unknown>> };
    };
    // THEN
    expect(config.algorithm).toEqual({ kind: 'weighted-round-robin', subsetWeights: { stable: 9, canary: 1 } });
    expect(config.upstream.port).toBe(5678);
    expect(config.upstream.sources).toEqual([
      expect.objectContaining({ kind: 'dns', subset: 'stable', weight: 1, hostname: 'hello-stable-headless.default.svc.cluster.local' }),
      expect.objectContaining({ kind: 'dns', subset: 'canary', weight: 2, hostname: 'hello-canary-headless.default.svc.cluster.local' }),
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

  test.each([-1, 0])('fails when a subset weight is %d', (weight) => {
    const c = chart();
    expect(
      () =>
        new LoadBalancedApp(c, 'hello', {
          container: ECHO,
          subsets: [{ name: 'stable' }],
          algorithm: Algorithm.weightedRoundRobin({ subsetWeights: { stable: weight } }),
        }),
    ).toThrow(
      new RegExp(
        `^LB_CONFIG_INVALID: test/hello: .*\n  - algorithm\\.subsetWeights\\.stable \\(from algorithm subsetWeights\\.stable\\): .*>0 \\(got ${weight}\\); fix: name a declared subset and give it a weight > 0`,
      ),
    );
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
    ).toThrow(/LB_CONFIG_INVALID: test\/hello: .*\n  - algorithm\.subsetWeights\.canry \(from algorithm subsetWeights\.canry\): names subset "canry", which no discovery source declares; known subsets: stable, canary; fix: name a declared subset/);
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
