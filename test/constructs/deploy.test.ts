/**
 * Issue 8: what the constructs write must deploy the way users deploy it. Findings 1, 3 and 6.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Chart, Testing } from 'cdk8s';
import { LoadBalancedApp } from '../../src';
import { buildApp } from '../../src/main';
import * as kplus from 'cdk8s-plus-27';
import { chart, ECHO, Obj } from './helpers';

const REPO = path.resolve(__dirname, '../..');
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const ANNOTATIONS_LIMIT = 256 * 1024;

/** The annotation client-side `kubectl apply` adds: the object as compact JSON, escaped as Go's encoding/json does. */
function lastApplied(o: Obj): string {
  const json = JSON.stringify(o);
  return json.replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Bytes of every annotation once `kubectl apply` has added its own (keys and values, as the API server counts). */
function annotationBytesAfterApply(o: Obj): number {
  const own = Object.entries(o.metadata.annotations ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  return own + LAST_APPLIED.length + Buffer.byteLength(lastApplied(o));
}

function synthApp(build: (app: App) => void): Obj[] {
  const app = Testing.app();
  build(app);
  app.synth();
  return app.charts.flatMap((c) => c.toJson() as Obj[]);
}

describe('finding 1: kubectl apply, client-side, takes every object', () => {
  test('every object of the example fits the annotation limit after a client-side apply', () => {
    const objects = synthApp(buildApp);
    const sizes = objects.map((o) => ({ name: `${o.kind}/${o.metadata.name}`, bytes: annotationBytesAfterApply(o) }));
    for (const s of sizes) expect(s).toEqual({ name: s.name, bytes: expect.any(Number) });
    const biggest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    expect(biggest.name).toMatch(/^ConfigMap\/cdk8s-balancer-proxy-/);
    // the bundle ConfigMap is the biggest object by far, and well under the limit
    expect(biggest.bytes).toBeLessThan(ANNOTATIONS_LIMIT * 0.6);
  });

  test('the same bundle as plain text would not fit: the check above can fail', () => {
    const js = readFileSync(path.join(REPO, 'lib/proxy.bundle.js'), 'utf8');
    const plain: Obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' }, data: { 'proxy.js': js }, immutable: true };
    expect(annotationBytesAfterApply(plain)).toBeGreaterThan(ANNOTATIONS_LIMIT);
  });

  test('the loader in the ConfigMap runs the compressed bundle with the container\'s arguments', () => {
    const objects = synthApp(buildApp);
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name?.startsWith('cdk8s-balancer-proxy-'))!;
    const dir = mkdtempSync(path.join(tmpdir(), 'lb-loader-'));
    try {
      writeFileSync(path.join(dir, 'proxy.js'), cm.data!['proxy.js']);
      writeFileSync(path.join(dir, 'proxy.js.br'), Buffer.from(cm.binaryData!['proxy.js.br'], 'base64'));
      // No --config: the proxy's own usage error proves the bundle ran and saw the arguments.
      const r = spawnSync(process.execPath, [path.join(dir, 'proxy.js'), '--smoke-requests', 'x'], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--smoke-requests needs a positive integer, got x/);
      expect(r.stderr).toMatch(/usage: node proxy\.bundle\.js --config/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('finding 3: nothing is written twice', () => {
  test('two apps of one name in one chart are refused at construction, naming both', () => {
    const c = chart();
    new LoadBalancedApp(c, 'a', { name: 'hello', container: ECHO });
    expect(() => new LoadBalancedApp(c, 'b', { name: 'hello', container: ECHO })).toThrow(
      /^LB_PROPS_INVALID: test\/b: name is invalid \(got "hello"\): the app at test\/a has that name in the namespace given at apply time, .*fix: give one of them another name/,
    );
  });

  test('two apps of one name in two charts of one namespace are refused; in two namespaces they are fine', () => {
    const app = Testing.app();
    new LoadBalancedApp(new Chart(app, 'one', { namespace: 'team-a' }), 'a', { name: 'hello', container: ECHO });
    new LoadBalancedApp(new Chart(app, 'two', { namespace: 'team-b' }), 'a', { name: 'hello', container: ECHO });
    expect(() => new LoadBalancedApp(new Chart(app, 'three', { namespace: 'team-a' }), 'a', { name: 'hello', container: ECHO })).toThrow(
      /^LB_PROPS_INVALID: three\/a: name is invalid \(got "hello"\): the app at one\/a has that name in namespace "team-a"/,
    );
  });

  test('two charts in one namespace share one bundle ConfigMap: the second mounts the first one\'s', () => {
    const objects = synthApp((app) => {
      new LoadBalancedApp(new Chart(app, 'one', { namespace: 'team-a' }), 'a', { name: 'a', container: ECHO });
      new LoadBalancedApp(new Chart(app, 'two', { namespace: 'team-a' }), 'b', { name: 'b', container: ECHO });
    });
    const bundles = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name?.startsWith('cdk8s-balancer-proxy-'));
    expect(bundles).toHaveLength(1);
    const mounted = objects
      .filter((o) => o.kind === 'Deployment' && o.metadata.name?.endsWith('-gateway'))
      .map((o) => (o.spec.template.spec.volumes as { configMap?: { name: string } }[]).map((v) => v.configMap?.name).filter((n) => n?.startsWith('cdk8s-balancer-proxy-')));
    expect(mounted).toEqual([[bundles[0].metadata.name], [bundles[0].metadata.name]]);
  });

  test('an object two charts both write in one namespace fails the synth, naming both', () => {
    const app = Testing.app();
    const one = new Chart(app, 'one', { namespace: 'team-a' });
    const two = new Chart(app, 'two', { namespace: 'team-a' });
    new LoadBalancedApp(one, 'a', { name: 'a', container: ECHO });
    // a user's own object in the second chart that takes a name the app writes in the first
    new kplus.Service(two, 'svc', { metadata: { name: 'a' }, ports: [{ port: 80 }] });
    expect(() => app.synth()).toThrow(/two\/svc\/Resource: Service "a" in namespace "team-a" is also written by one\/a\/Gateway\/\S+; fix: rename one of them/);
  });
});

describe('finding 6: the bundle is found when the user bundles their cdk8s app', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'lb-esbuild-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A user project: its app bundled by esbuild with cdk8s-balancer inside, run from the project directory. */
  function bundledApp(linkPackage: boolean): { dir: string; script: string } {
    const dir = mkdtempSync(path.join(work, 'project-'));
    mkdirSync(path.join(dir, 'node_modules'));
    if (linkPackage) symlinkSync(REPO, path.join(dir, 'node_modules', 'cdk8s-balancer'), 'dir');
    writeFileSync(path.join(dir, 'package.json'), '{"name":"user-app","private":true}\n');
    const entry = path.join(dir, 'app.js');
    writeFileSync(
      entry,
      `const { App, Chart } = require('cdk8s');
const { LoadBalancedApp } = require(${JSON.stringify(path.join(REPO, 'lib/index.js'))});
const app = new App({ outdir: ${JSON.stringify(path.join(dir, 'dist'))} });
new LoadBalancedApp(new Chart(app, 'web'), 'web', { name: 'web', container: { image: 'nginx:1.27.3', ports: [{ name: 'http', number: 8080 }] } });
app.synth();
`,
    );
    const script = path.join(dir, 'out', 'app.js');
    execFileSync(
      path.join(REPO, 'node_modules/.bin/esbuild'),
      [entry, '--bundle', '--platform=node', `--outfile=${script}`, '--log-level=error'],
      { cwd: dir, env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') } },
    );
    return { dir, script };
  }

  test('an esbuild-bundled app finds the installed package\'s bundle and synthesizes', () => {
    const { dir, script } = bundledApp(true);
    const r = spawnSync(process.execPath, [script], { cwd: dir, encoding: 'utf8', env: { ...process.env, CDK8S_BALANCER_PROXY_BUNDLE: '' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(dir, 'dist', 'web.k8s.yaml'), 'utf8')).toMatch(/name: cdk8s-balancer-proxy-[0-9a-f]{10}/);
  }, 60_000);

  test('when the bundle truly is missing, the fix speaks to an installed package, not to npm run build alone', () => {
    const { dir, script } = bundledApp(false);
    const r = spawnSync(process.execPath, [script], { cwd: dir, encoding: 'utf8', env: { ...process.env, CDK8S_BALANCER_PROXY_BUNDLE: '' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/LB_BUNDLE_MISSING: web\/web\/Gateway: the proxy bundle was not found \(looked at .*\); fix: if you installed cdk8s-balancer and bundle your cdk8s app \(esbuild, webpack\), keep the package out of the bundle \(esbuild --external:cdk8s-balancer/);
  }, 60_000);
});

describe('finding 9: DNS names follow the namespace the pods run in', () => {
  const gatewayConfig = (objects: Obj[]) => {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name?.startsWith('hello-lb-gateway-'))!;
    return JSON.parse(cm.data!['config.json']) as { upstream: { sources: { hostname: string }[] } };
  };
  const proxyEnv = (objects: Obj[]) =>
    objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'hello-gateway')!.spec.template.spec.containers[0].env;

  test('with no namespace anywhere, the name waits for the pod\'s namespace, given by the downward API', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const objects = Testing.synth(c) as Obj[];
    expect(gatewayConfig(objects).upstream.sources[0].hostname).toBe('hello-headless.$(POD_NAMESPACE).svc.cluster.local');
    expect(proxyEnv(objects)).toContainEqual({ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
    // and nothing in the output names a namespace the user did not choose
    expect(JSON.stringify(objects)).not.toMatch(/\.default\.svc|"namespace":"default"/);
  });

  test.each([
    ['the chart', { namespace: 'team-a' }, {}],
    ['the app', {}, { namespace: 'team-a' }],
  ])('with a namespace from %s, the name is written out', (_from, chartProps, appProps) => {
    const c = chart(chartProps);
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, ...appProps });
    expect(gatewayConfig(Testing.synth(c) as Obj[]).upstream.sources[0].hostname).toBe('hello-headless.team-a.svc.cluster.local');
  });
});

describe('finding 5: a consumer is hardened to restricted unless the user opts out', () => {
  const web = (c: Chart, securityContext: kplus.ContainerSecurityContextProps = {}) =>
    new kplus.Deployment(c, 'web', {
      containers: [{ name: 'web', image: 'my/web:1.2.3', securityContext, resources: { cpu: { request: kplus.Cpu.millis(10) } } }],
      initContainers: [{ name: 'init', image: 'busybox:1.36.1' }],
    });
  const containers = (objects: Obj[]) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name?.includes('web'))!.spec.template.spec;

  test('every container of the consumer, init containers too, drops ALL capabilities', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, gateway: false });
    app.addConsumer(web(c, { capabilities: { add: [kplus.Capability.NET_BIND_SERVICE] } }));
    const spec = containers(Testing.synth(c) as Obj[]);
    expect(spec.containers.map((x: { name: string; securityContext: { capabilities: unknown } }) => [x.name, x.securityContext.capabilities])).toEqual([
      ['web', { add: ['NET_BIND_SERVICE'], drop: ['ALL'] }],
      ['lb-hello', { drop: ['ALL'] }],
    ]);
    expect(spec.initContainers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
    expect(spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  });

  test.each([
    ['privileged', { privileged: true }, /consumer container "web" securityContext\.privileged is invalid \(got true\); fix: restricted forbids privileged containers: remove it, or pass \{ hardenPod: false \}/],
    ['a forbidden added capability', { capabilities: { add: [kplus.Capability.NET_ADMIN] } }, /securityContext\.capabilities\.add is invalid \(got \["NET_ADMIN"\]\); fix: restricted lets a container add only NET_BIND_SERVICE/],
    ['privilege escalation', { allowPrivilegeEscalation: true }, /securityContext\.allowPrivilegeEscalation is invalid \(got true\)/],
  ])('%s is refused rather than overwritten, with the opt-out in the fix', (_what, sc, message) => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, gateway: false });
    expect(() => app.addConsumer(web(c, sc as kplus.ContainerSecurityContextProps))).toThrow(message);
  });

  test('hardenPod: false leaves the consumer\'s containers as they are', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, gateway: false });
    app.addConsumer(web(c, { privileged: true }), { hardenPod: false });
    const spec = containers(Testing.synth(c) as Obj[]);
    expect(spec.containers[0].securityContext).toMatchObject({ privileged: true });
    expect(spec.containers[0].securityContext.capabilities).toBeUndefined();
  });

  test('Capabilities.ALL needs no cast', () => {
    const { Capabilities } = jest.requireActual('../../src') as typeof import('../../src');
    const sc: kplus.ContainerSecurityContextProps = { capabilities: { drop: [Capabilities.ALL] } };
    expect(sc.capabilities?.drop).toEqual(['ALL']);
  });
});

test('every hashed, immutable ConfigMap carries the label the README prunes by', () => {
  const objects = synthApp(buildApp);
  const immutable = objects.filter((o) => o.kind === 'ConfigMap' && o.immutable);
  expect(immutable.length).toBeGreaterThanOrEqual(4);
  for (const cm of immutable) expect([cm.metadata.name, cm.metadata.labels?.['app.kubernetes.io/managed-by']]).toEqual([cm.metadata.name, 'cdk8s-balancer']);
});
