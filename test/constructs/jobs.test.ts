import { Duration } from 'cdk8s';
import { Algorithm, AppSecret, LoadBalancedApp } from '../../src';
import { chart, ECHO, find, Obj, podMeta, podSpec, synthValid, MIGRATE_JOB, SMOKE_JOB } from './helpers';

describe('jobs', () => {
  test('the migration Job runs the user container with the app’s config and secret, before the app', () => {
    // GIVEN an app with a migration
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', {
      name: 'hello',
      container: ECHO,
      config: { DB_HOST: 'db' },
      secret: AppSecret.fromValues({ DB_PASSWORD: 'pw-123456' }),
      migration: {
        container: { image: 'flyway/flyway:10.17.0', args: ['migrate'] },
        parallelism: 2,
        completions: 4,
        backoffLimit: 1,
        activeDeadline: Duration.minutes(3),
      },
    });
    // WHEN synthesized
    const objects = synthValid(c);
    // THEN
    const job = find(objects, 'Job', MIGRATE_JOB);
    expect(app.migrationJob).toBeDefined();
    expect(job.spec).toMatchObject({ parallelism: 2, completions: 4, backoffLimit: 1, activeDeadlineSeconds: 180, ttlSecondsAfterFinished: 3600 });
    const spec = podSpec(job);
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.containers[0]).toMatchObject({ name: 'migrate', image: 'flyway/flyway:10.17.0', args: ['migrate'], imagePullPolicy: 'IfNotPresent' });
    expect(spec.containers[0].envFrom).toEqual([
      { configMapRef: { name: expect.stringMatching(/^hello-config-/) } },
      { secretRef: { name: 'hello-secret' } },
    ]);
    expect(podMeta(job).labels!['app.kubernetes.io/component']).toBe('migration');
    expect(podMeta(job).labels!['cdk8s-balancer/access-hello']).toBeUndefined();
    // ordered before the app workload in the output
    const index = (o: Obj) => objects.indexOf(o);
    expect(index(job)).toBeLessThan(index(find(objects, 'Deployment', 'hello')));
  });

  test('the migration Job has defaults of 1/1, backoff 3, 10 minutes', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, migration: { container: { image: 'busybox:1.36.1' } } });
    expect(find(synthValid(c), 'Job', MIGRATE_JOB).spec).toMatchObject({ parallelism: 1, completions: 1, backoffLimit: 3, activeDeadlineSeconds: 600 });
  });

  test('the smoke test runs the bundle with --smoke and the gateway config, and may reach the app', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, smokeTest: { backoffLimit: 4 } });
    const objects = synthValid(c);
    const job = find(objects, 'Job', SMOKE_JOB);
    expect(app.smokeTestJob).toBeDefined();
    expect(job.spec.backoffLimit).toBe(4);
    const spec = podSpec(job);
    expect(spec.containers[0].command).toEqual([
      'node',
      '--max-semi-space-size=4',
      '/opt/cdk8s-balancer/proxy.js',
      '--config',
      '/etc/cdk8s-balancer/config.json',
      '--smoke',
      '--smoke-timeout-ms',
      '120000',
    ]);
    expect(spec.containers[0].readinessProbe).toBeUndefined();
    const gatewayConfigName = objects.find((o) => o.metadata.name?.startsWith('hello-lb-gateway-'))!.metadata.name;
    expect(spec.volumes.find((v: { name: string }) => v.name === 'lb-config').configMap.name).toBe(gatewayConfigName);
    // the NetworkPolicy admits pods with this label
    expect(podMeta(job).labels!['cdk8s-balancer/access-hello']).toBe('true');
    const np = find(objects, 'NetworkPolicy', 'hello-app');
    expect(np.spec.ingress[0].from[0].podSelector.matchLabels).toEqual({ 'cdk8s-balancer/access-hello': 'true' });
    // ordered after the workloads it tests
    expect(objects.indexOf(job)).toBeGreaterThan(objects.indexOf(find(objects, 'Deployment', 'hello-gateway')));
  });

  test('the smoke test works without a gateway, and then opens the NetworkPolicy to itself', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, gateway: false, smokeTest: true });
    const objects = synthValid(c);
    expect(find(objects, 'Job', SMOKE_JOB)).toBeDefined();
    expect(find(objects, 'NetworkPolicy', 'hello-app').spec.ingress).toHaveLength(1);
  });

  test('Job names change with what they run, since a Job template cannot be updated in place', () => {
    const names = (config: Record<string, string>, text: string) => {
      const c = chart();
      new LoadBalancedApp(c, 'hello', {
        name: 'hello',
        container: { ...ECHO, args: ['-listen=:5678', `-text=${text}`] },
        config,
        migration: { container: { image: 'busybox:1.36.1' } },
        smokeTest: true,
        algorithm: text === 'b' ? Algorithm.random() : Algorithm.roundRobin(),
      });
      const objects = synthValid(c);
      return { migrate: find(objects, 'Job', MIGRATE_JOB).metadata.name, smoke: find(objects, 'Job', SMOKE_JOB).metadata.name };
    };
    const base = names({ A: '1' }, 'a');
    expect(names({ A: '1' }, 'a')).toEqual(base);
    expect(names({ A: '2' }, 'a').migrate).not.toBe(base.migrate);
    const otherAlgorithm = names({ A: '1' }, 'b');
    expect(otherAlgorithm.smoke).not.toBe(base.smoke);
    expect(otherAlgorithm.migrate).toBe(base.migrate);
  });

  test('the smoke timeout is configurable', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, smokeTest: { timeout: Duration.seconds(45) } });
    expect(podSpec(find(synthValid(c), 'Job', SMOKE_JOB)).containers[0].command.slice(-2)).toEqual(['--smoke-timeout-ms', '45000']);
  });

  test('fails when the smoke timeout is not below the Job deadline', () => {
    const c = chart();
    expect(() => new LoadBalancedApp(c, 'hello', { container: ECHO, smokeTest: { timeout: Duration.minutes(5) } })).toThrow(
      /^LB_PROPS_INVALID: test\/hello: smokeTest.timeout is invalid \(got "5 minutes"\); fix: make it shorter than activeDeadline \(5 minutes\)/,
    );
  });

  test('no jobs unless asked', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    expect(synthValid(c).filter((o) => o.kind === 'Job')).toEqual([]);
  });
});
