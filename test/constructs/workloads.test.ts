import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { LoadBalancedApp, WorkloadKind } from '../../src';
import { all, chart, ECHO, find, podMeta, podSpec, synthValid } from './helpers';

describe('LoadBalancedApp workloads', () => {
  test('a Deployment by default, with 2 replicas, RollingUpdate 1/0 and 5 revisions kept', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const d = find(synthValid(c), 'Deployment', 'hello');
    expect(app.replicas).toBe(2);
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(d.spec.revisionHistoryLimit).toBe(5);
    expect(d.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'hello',
      'app.kubernetes.io/component': 'app',
      'cdk8s-balancer/subset': 'default',
    });
    expect(podMeta(d).labels).toMatchObject(d.spec.selector.matchLabels);
  });

  test('replicas, maxSurge, maxUnavailable and revisionHistoryLimit are the user’s', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, replicas: 4, maxSurge: '50%', maxUnavailable: 1, revisionHistoryLimit: 2 });
    const d = find(synthValid(c), 'Deployment', 'hello');
    expect(d.spec.replicas).toBe(4);
    expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: '50%', maxUnavailable: 1 });
    expect(d.spec.revisionHistoryLimit).toBe(2);
  });

  test('a ReplicaSet when asked', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, workload: WorkloadKind.replicaSet(), replicas: 3 });
    const objects = synthValid(c);
    const rs = find(objects, 'ReplicaSet', 'hello');
    expect(rs.apiVersion).toBe('apps/v1');
    expect(rs.spec.replicas).toBe(3);
    expect(podSpec(rs).containers.map((x: { name: string }) => x.name)).toEqual(['app']);
    expect(all(objects, 'Deployment').map((o) => o.metadata.name)).toEqual(['hello-gateway']);
  });

  test('a StatefulSet governed by the headless Service', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, workload: WorkloadKind.statefulSet() });
    const objects = synthValid(c);
    const ss = find(objects, 'StatefulSet', 'hello');
    expect(ss.spec.serviceName).toBe('hello-headless');
    expect(ss.spec.podManagementPolicy).toBe('Parallel');
    expect(ss.spec.revisionHistoryLimit).toBe(5);
    expect(find(objects, 'Service', 'hello-headless').spec.clusterIP).toBe('None');
  });

  test('a bare Pod, with no disruption budget and no topology spread', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, workload: WorkloadKind.pod() });
    const objects = synthValid(c);
    const pod = find(objects, 'Pod', 'hello');
    expect(pod.metadata.labels).toMatchObject({ 'app.kubernetes.io/component': 'app', 'cdk8s-balancer/subset': 'default' });
    expect(pod.spec.topologySpreadConstraints).toBeUndefined();
    expect(all(objects, 'PodDisruptionBudget').map((o) => o.metadata.name)).toEqual(['hello-gateway']);
  });

  test('a bare Pod reports the one replica it runs, and accepts replicas: 1', () => {
    // GIVEN apps on bare Pods, one without replicas and one with replicas: 1
    const c = chart();
    const implicit = new LoadBalancedApp(c, 'a', { name: 'a', container: ECHO, workload: WorkloadKind.pod() });
    const explicit = new LoadBalancedApp(c, 'b', { name: 'b', container: ECHO, workload: WorkloadKind.pod(), replicas: 1 });
    // WHEN synthesized, THEN each is one Pod, and the public field says so
    const objects = synthValid(c);
    expect(all(objects, 'Pod').map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect([implicit.replicas, explicit.replicas]).toEqual([1, 1]);
  });

  test('a headless Service name of exactly 63 characters is accepted', () => {
    // GIVEN a 40-character app name and a 13-character subset: "<40>-<13>-headless" is 63 characters
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'a'.repeat(40), container: ECHO, subsets: [{ name: 'b'.repeat(13) }] });
    // WHEN synthesized, THEN it passes our own validator and keeps the name
    const name = `${'a'.repeat(40)}-${'b'.repeat(13)}-headless`;
    expect(name).toHaveLength(63);
    expect(find(synthValid(c), 'Service', name)).toBeDefined();
  });

  test('the app container gets default resources, IfNotPresent and TCP probes on the balanced port', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const app = podSpec(find(synthValid(c), 'Deployment', 'hello')).containers[0];
    expect(app.imagePullPolicy).toBe('IfNotPresent');
    expect(app.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    expect(app.readinessProbe).toEqual({ tcpSocket: { port: 5678 }, periodSeconds: 5, failureThreshold: 2 });
    expect(app.livenessProbe).toEqual({ tcpSocket: { port: 5678 }, periodSeconds: 10, failureThreshold: 3 });
    expect(app.startupProbe).toEqual({ tcpSocket: { port: 5678 }, periodSeconds: 2, failureThreshold: 30 });
  });

  test('probes become httpGet on the health-check path, and the user’s probes and resources win', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', {
      name: 'hello',
      container: {
        ...ECHO,
        liveness: kplus.Probe.fromHttpGet('/live', { port: 5678 }),
        resources: { cpu: { request: kplus.Cpu.millis(250) }, memory: { request: Size.mebibytes(32) } },
      },
      healthCheck: { path: '/health' },
    });
    const app = podSpec(find(synthValid(c), 'Deployment', 'hello')).containers[0];
    expect(app.readinessProbe.httpGet).toEqual({ path: '/health', port: 5678, scheme: 'HTTP' });
    expect(app.startupProbe.httpGet.path).toBe('/health');
    expect(app.livenessProbe.httpGet.path).toBe('/live');
    expect(app.resources).toEqual({ requests: { cpu: '250m', memory: '32Mi' } });
  });

  test('subsets get their own workload, labels, image, replicas and headless Service', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', {
      name: 'hello',
      container: ECHO,
      replicas: 3,
      subsets: [{ name: 'stable' }, { name: 'canary', image: 'hashicorp/http-echo:1.0.1', replicas: 1, env: { TRACK: 'canary' } }],
    });
    const objects = synthValid(c);
    const stable = find(objects, 'Deployment', 'hello-stable');
    const canary = find(objects, 'Deployment', 'hello-canary');
    expect(app.subsets.map((s) => [s.name, s.replicas, s.headlessService.name])).toEqual([
      ['stable', 3, 'hello-stable-headless'],
      ['canary', 1, 'hello-canary-headless'],
    ]);
    expect(stable.spec.replicas).toBe(3);
    expect(canary.spec.replicas).toBe(1);
    expect(podSpec(canary).containers[0].image).toBe('hashicorp/http-echo:1.0.1');
    expect(podSpec(canary).containers[0].env).toEqual([{ name: 'TRACK', value: 'canary' }]);
    expect(podMeta(canary).labels!['cdk8s-balancer/subset']).toBe('canary');
    expect(find(objects, 'Service', 'hello-canary-headless').spec.selector['cdk8s-balancer/subset']).toBe('canary');
    expect(find(objects, 'Service', 'hello-stable-headless').spec.selector['cdk8s-balancer/subset']).toBe('stable');
  });

  test('an autoscaler (autoscaling/v2) takes over: no spec.replicas on the target', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 60 } });
    const objects = synthValid(c);
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'hello');
    expect(app.replicas).toBeUndefined();
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'hello' });
    expect(hpa.spec.minReplicas).toBe(3);
    expect(hpa.spec.maxReplicas).toBe(10);
    expect(hpa.spec.metrics[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } });
    expect(find(objects, 'Deployment', 'hello').spec).not.toHaveProperty('replicas');
  });

  test('an autoscaled ReplicaSet has no spec.replicas either', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, workload: WorkloadKind.replicaSet(), autoscaling: { maxReplicas: 4 } });
    const objects = synthValid(c);
    expect(find(objects, 'ReplicaSet', 'hello').spec).not.toHaveProperty('replicas');
    expect(find(objects, 'HorizontalPodAutoscaler', 'hello').spec.scaleTargetRef.kind).toBe('ReplicaSet');
  });

  test('a disruption budget guards the app and the gateway', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, disruptionBudget: { minAvailable: '50%' }, gateway: { replicas: 3, maxUnavailable: 2 } });
    const objects = synthValid(c);
    const app = find(objects, 'PodDisruptionBudget', 'hello');
    expect(app.spec).toEqual({
      minAvailable: '50%',
      selector: { matchLabels: { 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/component': 'app', 'cdk8s-balancer/subset': 'default' } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    const gw = find(objects, 'PodDisruptionBudget', 'hello-gateway');
    expect(gw.spec.maxUnavailable).toBe(2);
    expect(gw.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/component': 'gateway' });
  });

  test('pods spread across nodes by default, with ScheduleAnyway', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const objects = synthValid(c);
    for (const name of ['hello', 'hello-gateway']) {
      const d = find(objects, 'Deployment', name);
      expect(podSpec(d).topologySpreadConstraints).toEqual([
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: d.spec.selector.matchLabels } },
      ]);
    }
  });

  test('pods spread across zones too when asked', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, spread: { zones: true, whenUnsatisfiable: 'DoNotSchedule' } });
    const spread = podSpec(find(synthValid(c), 'Deployment', 'hello')).topologySpreadConstraints;
    expect(spread.map((s: { topologyKey: string; whenUnsatisfiable: string }) => [s.topologyKey, s.whenUnsatisfiable])).toEqual([
      ['kubernetes.io/hostname', 'DoNotSchedule'],
      ['topology.kubernetes.io/zone', 'DoNotSchedule'],
    ]);
  });

  test('config is given as envFrom an immutable, hash-named ConfigMap', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, config: { GREETING: 'hi', MODE: 'fast' } });
    const objects = synthValid(c);
    const cm = objects.find((o) => o.kind === 'ConfigMap' && /^hello-config-[0-9a-f]{10}$/.test(o.metadata.name ?? ''))!;
    expect(cm.data).toEqual({ GREETING: 'hi', MODE: 'fast' });
    expect(cm.immutable).toBe(true);
    expect(podSpec(find(objects, 'Deployment', 'hello')).containers[0].envFrom).toEqual([{ configMapRef: { name: cm.metadata.name } }]);
  });

  test('the namespace prop reaches every object and the DNS names', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', namespace: 'shop', clusterDomain: 'example.internal', container: ECHO, config: { A: 'b' } });
    const objects = synthValid(c);
    expect(objects.filter((o) => o.metadata.namespace !== 'shop').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    const cfg = JSON.parse(objects.find((o) => o.metadata.name?.startsWith('hello-lb-gateway-'))!.data!['config.json']);
    expect(cfg.upstream.sources[0].hostname).toBe('hello-headless.shop.svc.example.internal');
  });

  test('the chart namespace is used for DNS names when the prop is unset', () => {
    const c = chart({ namespace: 'team-a' });
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const objects = synthValid(c);
    const cfg = JSON.parse(objects.find((o) => o.metadata.name?.startsWith('hello-lb-gateway-'))!.data!['config.json']);
    expect(cfg.upstream.sources[0].hostname).toBe('hello-headless.team-a.svc.cluster.local');
  });

  test('the gateway has its own replicas and drains with the configured time', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, gateway: { replicas: 3 }, proxy: { drain: Duration.seconds(5) } });
    const objects = synthValid(c);
    expect(find(objects, 'Deployment', 'hello-gateway').spec.replicas).toBe(3);
    const cfg = JSON.parse(objects.find((o) => o.metadata.name?.startsWith('hello-lb-gateway-'))!.data!['config.json']);
    expect(cfg.drainMs).toBe(5000);
  });
});

test('without a namespace prop no object names a namespace, so `kubectl apply -n` places them all together', () => {
  const c = chart();
  new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, smokeTest: true, config: { A: 'b' } });
  const objects = synthValid(c);
  expect(objects.filter((o) => o.metadata.namespace !== undefined).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
});
