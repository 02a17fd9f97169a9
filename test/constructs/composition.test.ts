/**
 * LoadBalancedApp as a composite: its subsets and gateway are objects with their own parts, and the choices made in
 * code (Protocol, Discovery) are what the config and the objects are built from.
 */
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Discovery, LoadBalancedApp, Protocol } from '../../src';
import { podApiAccess } from '../../src/constructs/internal/security';
import { chart, ECHO, find, Obj, podSpec, proxyConfig, synthValid } from './helpers';

describe('composition', () => {
  test('the app exposes one AppSubset per subset, each owning its workload, headless Service and budget', () => {
    // GIVEN an app with two subsets
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, subsets: [{ name: 'stable' }, { name: 'canary', replicas: 1, weight: 2 }] });
    // WHEN synthesized
    const objects = synthValid(c);
    // THEN each subset names its own objects, and its workload is its primary child
    expect(app.subsets.map((s) => [s.name, s.replicas, s.weight, s.headlessService.name, s.disruptionBudget?.name])).toEqual([
      ['stable', 2, undefined, 'hello-stable-headless', 'hello-stable'],
      ['canary', 1, 2, 'hello-canary-headless', 'hello-canary'],
    ]);
    for (const s of app.subsets) {
      expect(s.node.defaultChild).toBe(s.workload);
      expect(find(objects, 'Deployment', `hello-${s.name}`)).toBeDefined();
    }
  });

  test('an autoscaled subset owns its autoscaler; a subset with its own replicas has none', () => {
    // GIVEN an autoscaled app whose canary sets replicas
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, autoscaling: { maxReplicas: 4 }, subsets: [{ name: 'stable' }, { name: 'canary', replicas: 1 }] });
    // WHEN synthesized, THEN only the stable subset is scaled by an HPA
    const objects = synthValid(c);
    expect(app.subsets.map((s) => s.autoscaler !== undefined)).toEqual([true, false]);
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => o.metadata.name)).toEqual(['hello-stable']);
  });

  test('the gateway owns its Deployment, config, budget and the client Service, and its config is what it mounts', () => {
    // GIVEN an app with a gateway
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    // WHEN synthesized
    const objects = synthValid(c);
    // THEN
    const gateway = app.gateway!;
    expect(gateway.node.defaultChild).toBe(gateway.deployment);
    expect(gateway.deployment.name).toBe('hello-gateway');
    expect(gateway.service).toBe(app.service);
    expect(gateway.disruptionBudget.name).toBe('hello-gateway');
    expect(proxyConfig(objects, 'hello-lb-gateway-')).toEqual(JSON.parse(JSON.stringify(gateway.config)));
    const volume = podSpec(find(objects, 'Deployment', 'hello-gateway')).volumes.find((v: { name: string }) => v.name === 'lb-config');
    expect(volume.configMap.name).toBe(gateway.configMap.name);
  });

  test('app.props is the resolved shape: every default applied', () => {
    const c = chart({ namespace: 'team-a' });
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    expect(app.props).toMatchObject({
      name: 'hello',
      namespace: 'team-a',
      objectNamespace: undefined,
      clusterDomain: 'cluster.local',
      user: 65532,
      group: 65532,
      replicas: 2,
      maxSurge: 1,
      maxUnavailable: 0,
      revisionHistoryLimit: 5,
      spread: { zones: false, whenUnsatisfiable: 'ScheduleAnyway' },
      gateway: { replicas: 2, port: 8080, maxUnavailable: 1 },
      proxy: { adminPort: 9901 },
      subsets: [{ name: 'default', objectName: 'hello', headlessServiceName: 'hello-headless', id: 'Workload', image: ECHO.image, replicas: 2, autoscaled: false, env: {} }],
    });
  });
});

describe('Protocol', () => {
  test('http() writes a listener without a protocol field, so configs keep their bytes', () => {
    const http = Protocol.http();
    expect([http.kind, http.portName, http.appProtocol(false)]).toEqual(['http', 'http', undefined]);
    expect(http.listener('0.0.0.0', 8080)).toEqual({ host: '0.0.0.0', port: 8080 });
  });

  test('the gateway’s listener port takes the protocol’s name, and the client Service port no appProtocol for HTTP/1.1', () => {
    // GIVEN an app speaking HTTP/1.1 to its clients
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, protocol: Protocol.http() });
    // WHEN synthesized
    const objects = synthValid(c);
    // THEN
    expect(podSpec(find(objects, 'Deployment', 'hello-gateway')).containers[0].ports[0]).toEqual({ containerPort: 8080, name: 'http' });
    expect(find(objects, 'Service', 'hello').spec.ports).toEqual([{ name: 'http', port: 5678, targetPort: 8080, protocol: 'TCP' }]);
    // The config schema defaults the jitter of a connection age limit that is not set (no age limit, no effect).
    expect(proxyConfig(objects, 'hello-lb-gateway-').listener).toEqual({ host: '0.0.0.0', port: 8080, maxConnectionAgeJitterPercent: 10 });
  });
});

describe('Discovery', () => {
  test('dns() binds each subset to the DNS name of its headless Service, with its weight when set', () => {
    // GIVEN an app with DNS discovery over two subsets in a namespace
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', {
      name: 'hello',
      namespace: 'shop',
      container: ECHO,
      discovery: Discovery.dns(),
      subsets: [{ name: 'stable' }, { name: 'canary', weight: 3 }],
    });
    // WHEN bound, THEN the sources name the subsets and no ServiceAccount is needed
    expect(app.subsets.map((s) => s.discovery)).toEqual([
      { source: { kind: 'dns', subset: 'stable', hostname: 'hello-stable-headless.shop.svc.cluster.local', weight: undefined } },
      { source: { kind: 'dns', subset: 'canary', hostname: 'hello-canary-headless.shop.svc.cluster.local', weight: 3 } },
    ]);
    expect(app.subsets.map((s) => s.headlessServiceHost)).toEqual(app.subsets.map((s) => s.discovery.source.kind === 'dns' && s.discovery.source.hostname));
  });

  test('without a ServiceAccount from discovery, no pod of ours mounts a token', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, smokeTest: true, migration: { container: { image: 'busybox:1.36.1' } } });
    const pods = (Testing.synth(c) as Obj[]).filter((o) => ['Deployment', 'Job'].includes(o.kind));
    expect(pods.map((o) => [o.metadata.name!.replace(/-[0-9a-f]{10}$/, ''), podSpec(o).automountServiceAccountToken, podSpec(o).serviceAccountName])).toEqual([
      ['hello-migrate', false, undefined],
      ['hello', false, undefined],
      ['hello-gateway', false, undefined],
      ['hello-smoke', false, undefined],
    ]);
  });

  test('a binding that brings a ServiceAccount is what turns token mounting on', () => {
    // GIVEN a binding as EndpointSlice discovery will make it
    const c = chart();
    const account = kplus.ServiceAccount.fromServiceAccountName(c, 'sa', 'hello-discovery');
    const binding = { source: { kind: 'dns' as const, hostname: 'x' }, serviceAccount: account };
    // WHEN a proxy pod's API access is derived, THEN only that binding mounts a token
    expect(podApiAccess([])).toEqual({ automountServiceAccountToken: false });
    expect(podApiAccess([{ source: binding.source }])).toEqual({ automountServiceAccountToken: false });
    expect(podApiAccess([binding, binding])).toEqual({ serviceAccount: account, automountServiceAccountToken: true });
  });
});
