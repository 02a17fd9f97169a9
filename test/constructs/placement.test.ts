import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { LoadBalancedApp } from '../../src';
import { chart, consumer, ECHO, find, Obj, podMeta, podSpec, proxyConfig, synthValid } from './helpers';

type Container = { name: string; command?: string[]; env?: Array<{ name: string; value: string }>; ports?: Array<{ containerPort: number }> };

function containers(o: Obj): Container[] {
  return podSpec(o).containers;
}

const RESTRICTED_POD = { securityContext: { user: 1000, group: 1000 } };
const RESTRICTED_MAIN: kplus.ContainerProps = {
  name: 'main',
  image: 'curlimages/curl:8.5.0',
  imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
  resources: { cpu: { request: kplus.Cpu.millis(10) }, memory: { request: Size.mebibytes(16) } },
  securityContext: { user: 1000, group: 1000, capabilities: { drop: ['ALL' as kplus.Capability] } },
};

describe('proxy placement', () => {
  test('gateway: a proxy Deployment running the bundle on the pinned Node image with read-only mounts and admin probes', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const objects = synthValid(c);
    const gw = find(objects, 'Deployment', 'hello-gateway');
    const [proxy] = podSpec(gw).containers;
    expect(proxy.image).toBe('node:24.11.1-alpine3.22');
    expect(proxy.command).toEqual(['node', '--max-semi-space-size=4', '/opt/cdk8s-balancer/proxy.js', '--config', '/etc/cdk8s-balancer/config.json']);
    expect(proxy.ports).toEqual([
      { containerPort: 8080, name: 'http' },
      { containerPort: 9901, name: 'admin' },
    ]);
    expect(proxy.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 9901, scheme: 'HTTP' });
    expect(proxy.livenessProbe.httpGet.path).toBe('/healthz');
    expect(proxy.startupProbe.httpGet.path).toBe('/healthz');
    expect(proxy.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '192Mi' } });
    expect(proxy.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000 });
    expect(proxy.volumeMounts).toEqual([
      { mountPath: '/etc/cdk8s-balancer', name: 'lb-config', readOnly: true },
      { mountPath: '/opt/cdk8s-balancer', name: 'lb-bundle', readOnly: true },
      { mountPath: '/tmp', name: 'lb-tmp' },
    ]);
    const volumes = podSpec(gw).volumes;
    expect(volumes[0].configMap).toEqual({ name: expect.stringMatching(/^hello-lb-gateway-[0-9a-f]{10}$/), items: [{ key: 'config.json', path: 'config.json' }] });
    expect(volumes[1].configMap).toEqual({ name: expect.stringMatching(/^cdk8s-balancer-proxy-[0-9a-f]{10}$/), items: [{ key: 'proxy.js', path: 'proxy.js' }, { key: 'proxy.js.br', path: 'proxy.js.br' }] });
    expect(JSON.stringify(podSpec(gw))).not.toContain('LB_DNS_SERVERS');
  });

  test('gateway config: listener 0.0.0.0:8080, admin 0.0.0.0:9901, upstream on the app port via DNS', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const cfg = proxyConfig(synthValid(c), 'hello-lb-gateway-') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(cfg.version).toBe(1);
    expect(cfg.listener).toEqual({ host: '0.0.0.0', port: 8080, maxConnectionAgeJitterPercent: 10 });
    expect(cfg.admin).toEqual({ host: '0.0.0.0', port: 9901 });
    expect(cfg.upstream).toEqual({
      name: 'hello',
      port: 5678,
      sources: [{ kind: 'dns', subset: 'default', hostname: 'hello-headless.$(POD_NAMESPACE).svc.cluster.local', weight: 1, family: 0, refreshIntervalMs: 5000 }],
    });
  });

  test('health-check, outlier, retry and timeout options reach the config', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', {
      name: 'hello',
      container: ECHO,
      healthCheck: { path: '/healthz', interval: Duration.seconds(2), timeout: Duration.millis(500), healthyThreshold: 1 },
      outlierDetection: { consecutiveFailures: 3, baseEjection: Duration.seconds(10), maxEjectionPercent: 30 },
      retries: { attempts: 1, retryOn: ['connect-failure'], budgetRatio: 0.1 },
      timeouts: { connect: Duration.millis(250), request: Duration.seconds(5) },
    });
    const cfg = proxyConfig(synthValid(c), 'hello-lb-gateway-') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(cfg.healthCheck).toEqual({ path: '/healthz', intervalMs: 2000, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 3 });
    expect(cfg.outlierDetection).toEqual({ consecutiveFailures: 3, baseEjectionMs: 10000, maxEjectionMs: 300000, maxEjectionPercent: 30, probeAfterMs: 5000 });
    expect(cfg.retries).toEqual({ attempts: 1, retryOn: ['connect-failure'], budget: { ratio: 0.1, minRetriesPerSecond: 10 } });
    expect(cfg.timeouts).toMatchObject({ connectMs: 250, requestMs: 5000 });
  });

  test('sidecar: injected into a Deployment, listening on 127.0.0.1:15001, URL exposed as a property and an env var', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const url = app.addConsumer(consumer(c));
    const objects = synthValid(c);
    expect(url).toBe('http://127.0.0.1:15001');
    expect(app.sidecarUrl).toBe(url);
    const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name?.startsWith('test-consumer'))!;
    const [main, sidecar] = containers(d);
    expect(main.env).toEqual([{ name: 'HELLO_URL', value: 'http://127.0.0.1:15001' }]);
    expect(sidecar.name).toBe('lb-hello');
    expect(sidecar.command).toEqual(['node', '--max-semi-space-size=4', '/opt/cdk8s-balancer/proxy.js', '--config', '/etc/cdk8s-balancer/config.json']);
    expect(podMeta(d).labels!['cdk8s-balancer/access-hello']).toBe('true');
    expect(podMeta(d).annotations!['cdk8s-balancer/checksum-hello']).toMatch(/^[0-9a-f]{64}$/);
    const cfg = proxyConfig(objects, 'hello-lb-sidecar-') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(cfg.listener).toEqual({ host: '127.0.0.1', port: 15001, maxConnectionAgeJitterPercent: 10 });
    expect(cfg.admin).toEqual({ host: '0.0.0.0', port: 9901 });
    expect(cfg.upstream.sources[0].hostname).toBe('hello-headless.$(POD_NAMESPACE).svc.cluster.local');
  });

  test('sidecar: ports and env var name are configurable, and two apps can share one consumer', () => {
    const c = chart();
    const hello = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const other = new LoadBalancedApp(c, 'other', { name: 'other', container: ECHO });
    const d = consumer(c);
    hello.addConsumer(d);
    expect(other.addConsumer(d, { port: 15002, adminPort: 9902, envVar: 'OTHER_ENDPOINT' })).toBe('http://127.0.0.1:15002');
    const objects = synthValid(c);
    const obj = objects.find((o) => o.kind === 'Deployment' && o.metadata.name?.startsWith('test-consumer'))!;
    expect(containers(obj).map((x) => x.name)).toEqual(['main', 'lb-hello', 'lb-other']);
    expect(containers(obj)[0].env).toEqual([
      { name: 'HELLO_URL', value: 'http://127.0.0.1:15001' },
      { name: 'OTHER_ENDPOINT', value: 'http://127.0.0.1:15002' },
    ]);
    expect((proxyConfig(objects, 'other-lb-sidecar-') as Record<string, any>).listener.port).toBe(15002); // eslint-disable-line @typescript-eslint/no-explicit-any
    // one bundle ConfigMap for the whole chart
    expect(objects.filter((o) => o.metadata.name?.startsWith('cdk8s-balancer-proxy-'))).toHaveLength(1);
  });

  test.each([
    ['StatefulSet', (c: ReturnType<typeof chart>) => new kplus.StatefulSet(c, 'consumer', { ...RESTRICTED_POD, containers: [{ ...RESTRICTED_MAIN, ports: [{ number: 7000, name: 'peer' }] }] })],
    ['Job', (c: ReturnType<typeof chart>) => new kplus.Job(c, 'consumer', { ...RESTRICTED_POD, containers: [RESTRICTED_MAIN] })],
    ['Pod', (c: ReturnType<typeof chart>) => new kplus.Pod(c, 'consumer', { ...RESTRICTED_POD, containers: [RESTRICTED_MAIN] })],
    ['DaemonSet', (c: ReturnType<typeof chart>) => new kplus.DaemonSet(c, 'consumer', { ...RESTRICTED_POD, containers: [RESTRICTED_MAIN] })],
  ])('sidecar: injected into a %s', (kind, make) => {
    // GIVEN a consumer workload of this kind
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    // WHEN the app is added to it
    app.addConsumer(make(c));
    // THEN it runs the sidecar, calls it through the env var, carries the access label and passes restricted PSS
    const objects = synthValid(c);
    const obj = objects.find((o) => o.kind === kind && o.metadata.name?.startsWith('test-consumer'))!;
    expect(containers(obj).map((x) => x.name)).toEqual(['main', 'lb-hello']);
    expect(containers(obj)[0].env).toEqual([{ name: 'HELLO_URL', value: 'http://127.0.0.1:15001' }]);
    expect(podMeta(obj).labels!['cdk8s-balancer/access-hello']).toBe('true');
    expect(podSpec(obj).securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  });

  test('sidecar: envVar false sets no variable', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    app.addConsumer(new kplus.Job(c, 'consumer', { ...RESTRICTED_POD, containers: [RESTRICTED_MAIN] }), { envVar: false });
    const j = synthValid(c).find((o) => o.kind === 'Job')!;
    expect(containers(j)[0].env).toBeUndefined();
  });

  test('gateway and sidecar at once share the bundle and use separate configs', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    app.addConsumer(consumer(c));
    const objects = synthValid(c);
    expect(find(objects, 'Deployment', 'hello-gateway')).toBeDefined();
    expect(proxyConfig(objects, 'hello-lb-gateway-').listener).toEqual({ host: '0.0.0.0', port: 8080, maxConnectionAgeJitterPercent: 10 });
    expect(proxyConfig(objects, 'hello-lb-sidecar-').listener).toEqual({ host: '127.0.0.1', port: 15001, maxConnectionAgeJitterPercent: 10 });
  });

  test('without a gateway, consumer or smoke test nothing runs the proxy, so no proxy config and no bundle are synthesized', () => {
    // GIVEN an app without a gateway, reached through allowFrom
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, gateway: false });
    app.allowFrom(kplus.Pods.all(c, 'everyone'));
    // WHEN synthesized
    const objects = synthValid(c);
    // THEN only the app's own objects are there
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/hello',
      'NetworkPolicy/hello-app',
      'PodDisruptionBudget/hello',
      'Service/hello',
      'Service/hello-headless',
    ]);
    expect(app.gateway).toBeUndefined();
  });

  test('without a gateway, the first consumer brings the bundle and its sidecar config', () => {
    // GIVEN an app without a gateway
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, gateway: false });
    // WHEN a consumer is added
    app.addConsumer(consumer(c));
    const objects = synthValid(c);
    // THEN the sidecar's config and the bundle exist, the gateway's config does not
    expect(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name!.replace(/-[0-9a-f]{10}$/, ''))).toEqual([
      'hello-lb-sidecar',
      'cdk8s-balancer-proxy',
    ]);
  });

  test('the shutdown delay and the drain reach the config, 5 s and 20 s by default', () => {
    // GIVEN one app with the defaults and one with its own shutdown delay and drain
    const c = chart();
    new LoadBalancedApp(c, 'a', { name: 'a', container: ECHO });
    new LoadBalancedApp(c, 'b', { name: 'b', container: ECHO, proxy: { shutdownDelay: Duration.seconds(10), drain: Duration.seconds(40) } });
    // WHEN synthesized
    const objects = synthValid(c);
    // THEN each gateway config carries them in milliseconds
    expect([proxyConfig(objects, 'a-lb-gateway-'), proxyConfig(objects, 'b-lb-gateway-')].map((cfg) => [cfg.shutdownDelayMs, cfg.drainMs])).toEqual([
      [5000, 20000],
      [10000, 40000],
    ]);
  });

  test.each([
    ['the defaults (5 s + 20 s)', {}, 30],
    ['a long drain (10 s + 40 s)', { shutdownDelay: Duration.seconds(10), drain: Duration.seconds(40) }, 55],
    ['a short one, rounded up (1.5 s + 5 s)', { shutdownDelay: Duration.millis(1500), drain: Duration.seconds(5) }, 12],
  ])('gateway pods get a termination grace period of shutdown delay + drain + 5 s with %s', (_name, proxy, seconds) => {
    // GIVEN an app whose proxy has this shutdown delay and drain
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, proxy });
    // WHEN synthesized, THEN the gateway pods wait that long before they are killed
    expect(podSpec(find(synthValid(c), 'Deployment', 'hello-gateway')).terminationGracePeriodSeconds).toBe(seconds);
  });

  test.each([
    ['Kubernetes’ 30 s when the sidecar needs less', undefined, { drain: Duration.seconds(5) }, 30],
    ['what the sidecar needs when that is more than 30 s', undefined, { shutdownDelay: Duration.seconds(10), drain: Duration.seconds(40) }, 55],
    ['the user’s own when that is longer', Duration.minutes(2), { shutdownDelay: Duration.seconds(10), drain: Duration.seconds(40) }, 120],
  ])('a consumer keeps %s', (_name, terminationGracePeriod, proxy, seconds) => {
    // GIVEN a consumer, with or without its own grace period, and an app whose proxy needs some
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, proxy });
    const d = new kplus.Deployment(c, 'consumer', { ...RESTRICTED_POD, terminationGracePeriod, containers: [RESTRICTED_MAIN] });
    // WHEN the sidecar is injected
    app.addConsumer(d);
    // THEN the pod's grace period is the longest of what Kubernetes, the user and the sidecar want
    const obj = synthValid(c).find((o) => o.kind === 'Deployment' && o.metadata.name?.startsWith('test-consumer'))!;
    expect(podSpec(obj).terminationGracePeriodSeconds).toBe(seconds);
  });

  test.each([['slow', 'fast'], ['fast', 'slow']])('a consumer of two apps waits for the slower sidecar, injected %s first', (...order) => {
    // GIVEN two apps, one draining for 60 s and one for 30 s, injected into one consumer in this order
    const c = chart();
    const apps = {
      slow: new LoadBalancedApp(c, 'slow', { name: 'slow', container: ECHO, proxy: { drain: Duration.seconds(60) } }),
      fast: new LoadBalancedApp(c, 'fast', { name: 'fast', container: ECHO, proxy: { drain: Duration.seconds(30) } }),
    };
    const d = consumer(c);
    order.forEach((name, i) => apps[name as keyof typeof apps].addConsumer(d, { port: 15001 + i, adminPort: 9901 + i }));
    // WHEN synthesized, THEN the grace period is the slow sidecar's: 5 + 60 + 5
    const obj = synthValid(c).find((o) => o.kind === 'Deployment' && o.metadata.name?.startsWith('test-consumer'))!;
    expect(podSpec(obj).terminationGracePeriodSeconds).toBe(70);
  });

  test('a custom proxy image without a bundle path still gets the bundle mounted', () => {
    const { ProxyImage } = jest.requireActual('../../src') as typeof import('../../src');
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, proxy: { image: ProxyImage.fromImage('example.com/node-base:24.11.1') } });
    const [proxy] = podSpec(find(synthValid(c), 'Deployment', 'hello-gateway')).containers;
    expect(proxy.command.slice(0, 3)).toEqual(['node', '--max-semi-space-size=4', '/opt/cdk8s-balancer/proxy.js']);
    expect(proxy.volumeMounts.map((m: { name: string }) => m.name)).toEqual(['lb-config', 'lb-bundle', 'lb-tmp']);
    expect(proxy.securityContext.runAsUser).toBe(1000);
  });

  test('a custom proxy image carrying the bundle is not given the bundle mount', () => {
    const { ProxyImage } = jest.requireActual('../../src') as typeof import('../../src');
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, proxy: { image: ProxyImage.fromImage('example.com/lb-proxy:2.0.0', { bundlePath: '/app/proxy.js', user: 2000 }) } });
    const objects = synthValid(c);
    const [proxy] = podSpec(find(objects, 'Deployment', 'hello-gateway')).containers;
    expect(proxy.image).toBe('example.com/lb-proxy:2.0.0');
    expect(proxy.command.slice(0, 3)).toEqual(['node', '--max-semi-space-size=4', '/app/proxy.js']);
    expect(proxy.volumeMounts.map((m: { name: string }) => m.name)).toEqual(['lb-config', 'lb-tmp']);
    expect(proxy.securityContext.runAsUser).toBe(2000);
  });
});
