import { Duration, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { Algorithm, LoadBalancedAppProps, SessionAffinity } from '../../src';
import { balancerConfigInput, configFieldOrigin } from '../../src/constructs/internal/balancer-config';
import { resolveLoadBalancedAppProps } from '../../src/constructs/internal/resolve';
import { constructionError, ECHO } from './helpers';

// Finding 8: every LB_CONFIG_INVALID names the prop the user wrote, and shows the value as written.
describe('config errors speak props', () => {
  const cases: Array<[string, Partial<LoadBalancedAppProps>, string, string]> = [
    ['algorithm.decayMs', { algorithm: Algorithm.peakEwma({ decay: Duration.millis(0) }) }, 'algorithm Algorithm.peakEwma({ decay })', '(got 0)'],
    ['algorithm.defaultRttMs', { algorithm: Algorithm.peakEwma({ defaultRtt: Duration.millis(0) }) }, 'algorithm Algorithm.peakEwma({ defaultRtt })', '(got 0)'],
    ['algorithm.loadFactor', { algorithm: Algorithm.consistentHash({ header: 'x-user', loadFactor: NaN }) }, 'algorithm Algorithm.consistentHash({ loadFactor })', '(got NaN)'],
    ['algorithm.virtualNodes', { algorithm: Algorithm.consistentHash({ header: 'x-user', virtualNodes: Infinity }) }, 'algorithm Algorithm.consistentHash({ virtualNodes })', '(got Infinity)'],
    ['algorithm.key.name', { algorithm: Algorithm.consistentHash({ header: '' }) }, 'algorithm Algorithm.consistentHash({ header })', '(got "")'],
    ['algorithm.key.name', { algorithm: Algorithm.consistentHash({ cookie: '' }) }, 'algorithm Algorithm.consistentHash({ cookie })', '(got "")'],
    ['algorithm.header', { algorithm: Algorithm.leastUtilization({ header: '' }) }, 'algorithm Algorithm.leastUtilization({ header })', '(got "")'],
    ['algorithm.staleAfterMs', { algorithm: Algorithm.leastUtilization({ staleAfter: Duration.millis(0) }) }, 'algorithm Algorithm.leastUtilization({ staleAfter })', '(got 0)'],
    ['healthCheck.intervalMs', { healthCheck: { interval: Duration.millis(0) } }, 'healthCheck.interval', '(got 0)'],
    ['healthCheck.healthyThreshold', { healthCheck: { healthyThreshold: NaN } }, 'healthCheck.healthyThreshold', '(got NaN)'],
    ['healthCheck.unhealthyThreshold', { healthCheck: { unhealthyThreshold: 0 } }, 'healthCheck.unhealthyThreshold', '(got 0)'],
    ['outlierDetection.consecutiveFailures', { outlierDetection: { consecutiveFailures: NaN } }, 'outlierDetection.consecutiveFailures', '(got NaN)'],
    ['outlierDetection.baseEjectionMs', { outlierDetection: { baseEjection: Duration.millis(0) } }, 'outlierDetection.baseEjection', '(got 0)'],
    ['outlierDetection.maxEjectionPercent', { outlierDetection: { maxEjectionPercent: 101 } }, 'outlierDetection.maxEjectionPercent', '(got 101)'],
    ['retries.budget.ratio', { retries: { budgetRatio: Infinity } }, 'retries.budgetRatio', '(got Infinity)'],
    ['retries.attempts', { retries: { attempts: NaN } }, 'retries.attempts', '(got NaN)'],
    ['timeouts.connectMs', { timeouts: { connect: Duration.millis(0) } }, 'timeouts.connect', '(got 0)'],
    ['timeouts.requestMs', { timeouts: { request: Duration.millis(0) } }, 'timeouts.request', '(got 0)'],
    ['timeouts.idleMs', { timeouts: { idle: Duration.millis(0) } }, 'timeouts.idle', '(got 0)'],
    ['timeouts.clientIdleMs', { timeouts: { clientIdle: Duration.millis(0) } }, 'timeouts.clientIdle', '(got 0)'],
    ['drainMs', { proxy: { drain: Duration.millis(NaN) } }, 'proxy.drain', '(got NaN)'],
    ['upstream.trafficSplit.canary', { subsets: [{ name: 'stable' }, { name: 'canary' }], trafficSplit: { stable: 90, canary: NaN } }, 'trafficSplit.canary', '(got NaN)'],
    // cdk8s itself would throw "1.5 must be a whole number of millis." with no construct path
    ['healthCheck.timeoutMs', { healthCheck: { timeout: Duration.millis(1.5) } }, 'healthCheck.timeout', '(got 1.5)'],
    ['shutdownDelayMs', { proxy: { shutdownDelay: Duration.millis(NaN) } }, 'proxy.shutdownDelay', '(got NaN)'],
  ];

  test.each(cases)('%s is reported as the prop %s', (field, props, prop, got) => {
    const message = constructionError(props);
    expect(message).toMatch(/^LB_CONFIG_INVALID: test\/hello: /);
    const line = message.split('\n').find((l) => l.startsWith(`  - ${field} `));
    expect(line).toBeDefined();
    expect(line).toContain(`(from ${prop})`);
    expect(line).toContain(got);
  });

  test('every config field the props write has a prop to name', () => {
    // GIVEN props that set every optional field, for each algorithm
    const algorithms = [
      Algorithm.roundRobin(),
      Algorithm.weightedRoundRobin(),
      Algorithm.random(),
      Algorithm.leastConnections(),
      Algorithm.powerOfTwoChoices(),
      Algorithm.peakEwma({ decay: Duration.seconds(10), defaultRtt: Duration.millis(5), failurePenalty: Duration.seconds(1) }),
      Algorithm.consistentHash({ header: 'x-user', loadFactor: 1.25, virtualNodes: 50 }),
      Algorithm.consistentHash({ cookie: 'session' }),
      Algorithm.consistentHash({ sourceIp: true }),
      Algorithm.leastUtilization({ header: 'x-load', staleAfter: Duration.seconds(5) }),
    ];
    const missing: string[] = [];
    for (const algorithm of algorithms) {
      const scope = new Construct(Testing.chart(), 'app');
      const resolved = resolveLoadBalancedAppProps(scope, {
        container: ECHO,
        algorithm,
        subsets: [{ name: 'stable', weight: 9 }, { name: 'canary', weight: 1 }],
        trafficSplit: { stable: 90, canary: 10 },
        healthCheck: { path: '/h', interval: Duration.seconds(5), timeout: Duration.seconds(1), healthyThreshold: 2, unhealthyThreshold: 3 },
        outlierDetection: { consecutiveFailures: 5, baseEjection: Duration.seconds(30), maxEjection: Duration.minutes(5), maxEjectionPercent: 50 },
        retries: { attempts: 2, retryOn: ['reset'], budgetRatio: 0.2 },
        timeouts: { connect: Duration.seconds(1), request: Duration.seconds(30), idle: Duration.minutes(1), clientIdle: Duration.seconds(65) },
        proxy: { shutdownDelay: Duration.seconds(5), drain: Duration.seconds(20), accessLog: true },
      });
      const spec = { listener: { host: '0.0.0.0', port: 8080 }, adminPort: 9901, portProp: 'gateway.port', adminPortProp: 'proxy.adminPort' };
      const sources = resolved.subsets.map((s) => ({ kind: 'dns' as const, subset: s.name, hostname: s.headlessServiceName, weight: s.weight }));
      // WHEN the config input is walked leaf by leaf
      for (const path of leafPaths(balancerConfigInput(resolved, sources, spec))) {
        // THEN each leaf maps back to a prop
        if (configFieldOrigin(path, spec, algorithm.toConfig().kind) === undefined) missing.push(`${algorithm.toConfig().kind}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('values are shown as written', () => {
  test.each([
    ['replicas', { replicas: NaN }, /replicas is invalid \(got NaN\)/],
    ['gateway.replicas', { gateway: { replicas: Infinity } }, /gateway\.replicas is invalid \(got Infinity\)/],
  ])('%s of NaN or Infinity reads NaN or Infinity, not null', (_name, props, expected) => {
    expect(constructionError(props as Partial<LoadBalancedAppProps>)).toMatch(expected);
  });
});

describe('what cdk8s-plus would refuse is checked first, with the prop and a fix', () => {
  test.each([
    [{ maxSurge: 0, maxUnavailable: 0 }],
    [{ maxSurge: '0%', maxUnavailable: 0 }],
  ])('fails when maxSurge and maxUnavailable are both zero (%j)', (props) => {
    expect(constructionError(props)).toMatch(
      /^LB_PROPS_INVALID: test\/hello: maxSurge and maxUnavailable is invalid \(got \{"maxSurge":.*\}\); fix: a rolling update needs room: let maxSurge \(e\.g\. 1\) or maxUnavailable be above zero/,
    );
  });
});

describe('Durations that cdk8s would refuse without a path are checked with the prop', () => {
  test.each<[string, Partial<LoadBalancedAppProps>, RegExp]>([
    ['migration.activeDeadline', { migration: { container: { image: 'flyway/flyway:10.17.0' }, activeDeadline: Duration.millis(1500) } }, /migration\.activeDeadline is invalid \(got "1 second 500 millis"\); fix: use a whole number of seconds/],
    ['smokeTest.activeDeadline', { smokeTest: { activeDeadline: Duration.millis(300500) } }, /smokeTest\.activeDeadline is invalid \(got "5 minutes 500 millis"\); fix: use a whole number of seconds/],
    ['smokeTest.timeout', { smokeTest: { timeout: Duration.millis(1.5) } }, /smokeTest\.timeout is invalid \(got "1\.5 millis"\); fix: use a whole number of milliseconds/],
    ['service.sessionAffinityTimeout', { service: { sessionAffinity: SessionAffinity.CLIENT_IP, sessionAffinityTimeout: Duration.millis(0.5) } }, /service\.sessionAffinityTimeout is invalid \(got "0\.5 millis"\); fix: use a whole number of seconds from 1 to 86400/],
  ])('fails when %s is fractional', (_name, props, expected) => {
    const message = constructionError(props);
    expect(message).toMatch(/^LB_PROPS_INVALID: test\/hello: /);
    expect(message).toMatch(expected);
  });
});

function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return entries.flatMap(([k, v]) => leafPaths(v, prefix === '' ? k : `${prefix}.${k}`));
}
