import { Testing } from 'cdk8s';
import { validateManifests } from '../../src/testing';
import * as kplus from 'cdk8s-plus-27';
import { Algorithm, AppSecret, LoadBalancedApp, WorkloadKind } from '../../src';
import { chart, consumer, ECHO, find, Obj, podSpec, POD_KINDS, synthValid, MIGRATE_JOB } from './helpers';

/** An app with every pod-bearing feature on. */
function everything(workload = WorkloadKind.deployment()) {
  const c = chart();
  const app = new LoadBalancedApp(c, 'hello', {
    name: 'hello',
    container: ECHO,
    workload,
    algorithm: Algorithm.peakEwma(),
    config: { GREETING: 'hello' },
    secret: AppSecret.fromValues({ DB_PASSWORD: 'hunter2-very-secret', API_TOKEN: 'tok-0123456789abcdef' }),
    subsets: [{ name: 'stable' }, { name: 'canary', replicas: 1 }],
    migration: { container: { image: 'busybox:1.36.1', command: ['sh', '-c', 'echo migrate'] } },
    smokeTest: true,
  });
  app.addConsumer(consumer(c));
  return { c, app };
}

type SecurityContext = Record<string, unknown> & { capabilities?: { drop?: string[] } };

describe('secure by default', () => {
  test.each([WorkloadKind.deployment(), WorkloadKind.replicaSet(), WorkloadKind.statefulSet(), WorkloadKind.pod()].map((k) => [k.kind, k]))(
    'every pod spec passes the restricted profile with %s',
    (_kind, workload) => {
      // GIVEN an app with every feature, WHEN synthesized (synthValid also runs the restricted PSS checks)
      const objects = synthValid(everything(workload).c);
      const pods = objects.filter((o) => POD_KINDS.includes(o.kind));
      expect(pods.length).toBeGreaterThanOrEqual(6);
      for (const o of pods) {
        const spec = podSpec(o);
        // THEN the pod and each container carry the restricted fields explicitly
        expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(spec.automountServiceAccountToken).toBe(false);
        for (const ct of spec.containers as Array<{ name: string; securityContext: SecurityContext }>) {
          const sc = ct.securityContext;
          expect({ name: ct.name, ...sc }).toMatchObject({
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          });
          expect(typeof sc.runAsUser === 'number' ? sc.runAsUser : spec.securityContext.runAsUser).toBeGreaterThan(0);
        }
      }
    },
  );

  test('every container of ours has a writable /tmp from an emptyDir', () => {
    const objects = synthValid(everything().c);
    for (const o of objects.filter((x) => POD_KINDS.includes(x.kind) && !x.metadata.name?.startsWith('test-consumer'))) {
      const spec = podSpec(o);
      for (const ct of spec.containers as Array<{ volumeMounts: Array<{ mountPath: string; name: string }> }>) {
        const tmp = ct.volumeMounts.find((m) => m.mountPath === '/tmp')!;
        expect(spec.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir).toBeDefined();
      }
    }
  });

  test('secret values appear in the Secret only, and reach the app through envFrom', () => {
    const objects = synthValid(everything().c);
    const secret = find(objects, 'Secret', 'hello-secret');
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    expect(secret.data).toEqual({ DB_PASSWORD: b64('hunter2-very-secret'), API_TOKEN: b64('tok-0123456789abcdef') });
    const others = objects.filter((o) => o.kind !== 'Secret').map((o) => JSON.stringify(o));
    for (const value of ['hunter2-very-secret', 'tok-0123456789abcdef']) {
      expect(others.filter((json) => json.includes(value))).toEqual([]);
      expect(others.filter((json) => json.includes(Buffer.from(value).toString('base64')))).toEqual([]);
    }
    const app = podSpec(find(objects, 'Deployment', 'hello-stable')).containers[0];
    expect(app.envFrom).toContainEqual({ secretRef: { name: 'hello-secret' } });
    const migrate = podSpec(find(objects, 'Job', MIGRATE_JOB)).containers[0];
    expect(migrate.envFrom).toContainEqual({ secretRef: { name: 'hello-secret' } });
  });

  test('an existing Secret is referenced by name and nothing is synthesized for it', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, secret: AppSecret.fromExisting('db-credentials') });
    const objects = Testing.synth(c) as Obj[];
    expect(validateManifests(objects, { external: { secrets: ['db-credentials'] } })).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(podSpec(find(objects, 'Deployment', 'hello')).containers[0].envFrom).toEqual([{ secretRef: { name: 'db-credentials' } }]);
  });

  test('the NetworkPolicy lets only balancer pods reach the balanced port of the app', () => {
    const objects = synthValid(everything().c);
    const np = find(objects, 'NetworkPolicy', 'hello-app');
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/component': 'app' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { 'cdk8s-balancer/access-hello': 'true' } } }], ports: [{ port: 5678, protocol: 'TCP' }] }],
    });
    // every pod that should reach the app carries the access label; the app and the migration do not
    const labelled = objects
      .filter((o) => POD_KINDS.includes(o.kind))
      .filter((o) => (o.kind === 'Pod' ? o.metadata : o.spec.template.metadata).labels?.['cdk8s-balancer/access-hello'] === 'true')
      .map((o) => o.metadata.name!.replace(/-[0-9a-f]{8,10}$/, ''));
    expect(labelled.sort()).toEqual(['hello-gateway', 'hello-smoke', 'test-consumer']);
  });

  test('allowFrom adds declared sources on the app ports', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', {
      name: 'hello',
      container: ECHO,
      allowFrom: [kplus.Pods.select(c, 'prometheus', { labels: { 'app.kubernetes.io/name': 'prometheus' } })],
    });
    app.allowFrom(kplus.Pods.select(c, 'debug', { labels: { role: 'debug' } }), [5678]);
    const np = find(Testing.synth(c) as Obj[], 'NetworkPolicy', 'hello-app');
    expect(np.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { 'cdk8s-balancer/access-hello': 'true' } } }], ports: [{ port: 5678, protocol: 'TCP' }] },
      { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }], ports: [{ port: 5678, protocol: 'TCP' }] },
      { from: [{ podSelector: { matchLabels: { role: 'debug' } } }], ports: [{ port: 5678, protocol: 'TCP' }] },
    ]);
  });
});
