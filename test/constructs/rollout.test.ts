import { Chart, Testing } from 'cdk8s';
import { AppSecret, LoadBalancedApp, LoadBalancedAppProps } from '../../src';
import { validateManifests } from '../../src/testing';
import { chart, consumer, ECHO, fakeBundle, find, Obj, podMeta, synthValid, SMOKE_JOB } from './helpers';

const CHECKSUM = 'cdk8s-balancer/checksum';

function synth(props: Partial<LoadBalancedAppProps> = {}): Obj[] {
  const c: Chart = chart();
  const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, smokeTest: true, ...props });
  app.addConsumer(consumer(c));
  const objects = Testing.synth(c) as Obj[];
  expect(validateManifests(objects, { external: { secrets: ['creds'] } })).toEqual([]);
  return objects;
}

/** The checksums on every pod template we care about. */
function checksums(objects: Obj[]): Record<string, string | undefined> {
  const consumerObj = objects.find((o) => o.metadata.name?.startsWith('test-consumer'))!;
  return {
    app: podMeta(find(objects, 'Deployment', 'hello')).annotations?.[CHECKSUM],
    gateway: podMeta(find(objects, 'Deployment', 'hello-gateway')).annotations?.[CHECKSUM],
    smoke: podMeta(find(objects, 'Job', SMOKE_JOB)).annotations?.[CHECKSUM],
    consumer: podMeta(consumerObj).annotations?.[`${CHECKSUM}-hello`],
  };
}

describe('rollouts', () => {
  const bundleA = fakeBundle('console.log("bundle A");\n');
  const bundleB = fakeBundle('console.log("bundle B");\n');

  test('every pod template carries a sha256 checksum, and synthesis is deterministic', () => {
    const first = checksums(synth({ proxy: { bundleFile: bundleA } }));
    for (const v of Object.values(first)) expect(v).toMatch(/^[0-9a-f]{64}$/);
    expect(checksums(synth({ proxy: { bundleFile: bundleA } }))).toEqual(first);
  });

  test('the app checksum changes when its config changes; the proxies’ do not', () => {
    const before = checksums(synth({ config: { A: '1' }, proxy: { bundleFile: bundleA } }));
    const after = checksums(synth({ config: { A: '2' }, proxy: { bundleFile: bundleA } }));
    expect(after.app).not.toBe(before.app);
    expect(after.gateway).toBe(before.gateway);
  });

  test('the app checksum changes when a secret value changes, without containing it', () => {
    const before = synth({ secret: AppSecret.fromValues({ TOKEN: 'one' }), proxy: { bundleFile: bundleA } });
    const after = synth({ secret: AppSecret.fromValues({ TOKEN: 'two' }), proxy: { bundleFile: bundleA } });
    expect(checksums(after).app).not.toBe(checksums(before).app);
    expect(checksums(after).gateway).toBe(checksums(before).gateway);
    // the Secret keeps its name: only the checksum rolls the pods
    expect(find(after, 'Secret', 'hello-secret')).toBeDefined();
  });

  test('an existing Secret rolls the pods only through its rollout token', () => {
    const a = checksums(synth({ secret: AppSecret.fromExisting('creds'), proxy: { bundleFile: bundleA } }));
    const b = checksums(synth({ secret: AppSecret.fromExisting('creds'), proxy: { bundleFile: bundleA } }));
    const c = checksums(synth({ secret: AppSecret.fromExisting('creds', { rolloutToken: '2024-06-01' }), proxy: { bundleFile: bundleA } }));
    expect(b.app).toBe(a.app);
    expect(c.app).not.toBe(a.app);
  });

  test('the proxy checksums and the config ConfigMap name change when the balancer config changes', () => {
    const { Algorithm } = jest.requireActual('../../src') as typeof import('../../src');
    const before = synth({ proxy: { bundleFile: bundleA } });
    const after = synth({ algorithm: Algorithm.leastConnections(), proxy: { bundleFile: bundleA } });
    const name = (objs: Obj[]) => objs.find((o) => o.metadata.name?.startsWith('hello-lb-gateway-'))!.metadata.name;
    expect(name(after)).not.toBe(name(before));
    const [b, a] = [checksums(before), checksums(after)];
    expect(a.gateway).not.toBe(b.gateway);
    expect(a.smoke).not.toBe(b.smoke);
    expect(a.consumer).not.toBe(b.consumer);
    expect(a.app).toBe(b.app);
  });

  test('every proxy checksum and the bundle ConfigMap name change when the bundle changes', () => {
    const before = synth({ proxy: { bundleFile: bundleA } });
    const after = synth({ proxy: { bundleFile: bundleB } });
    const [b, a] = [checksums(before), checksums(after)];
    expect(a.gateway).not.toBe(b.gateway);
    expect(a.smoke).not.toBe(b.smoke);
    expect(a.consumer).not.toBe(b.consumer);
    expect(a.app).toBe(b.app);
    const bundleName = (objs: Obj[]) => objs.find((o) => o.metadata.name?.startsWith('cdk8s-balancer-proxy-'))!.metadata.name;
    expect(bundleName(after)).not.toBe(bundleName(before));
  });

  test('the bundle ConfigMap is immutable, named by the hash of its content, and holds the loader and the compressed bundle', () => {
    const { createHash } = jest.requireActual('node:crypto') as typeof import('node:crypto');
    const zlib = jest.requireActual('node:zlib') as typeof import('node:zlib');
    const objects = synth({ proxy: { bundleFile: bundleA } });
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name?.startsWith('cdk8s-balancer-proxy-'))!;
    expect(cm.immutable).toBe(true);
    expect(Object.keys(cm.data!)).toEqual(['proxy.js']);
    expect(cm.data!['proxy.js']).toMatch(/^'use strict';\n\/\/ cdk8s-balancer proxy loader/);
    const compressed = Buffer.from(cm.binaryData!['proxy.js.br'], 'base64');
    expect(zlib.brotliDecompressSync(compressed).toString()).toBe('console.log("bundle A");\n');
    const sha = (x: string | Buffer) => createHash('sha256').update(x).digest('hex');
    expect(cm.metadata.name).toBe(`cdk8s-balancer-proxy-${sha(JSON.stringify([cm.data!['proxy.js'], sha(compressed)])).slice(0, 10)}`);
  });

  test('one bundle ConfigMap per namespace, however many apps use it', () => {
    const c = chart();
    new LoadBalancedApp(c, 'a', { name: 'a', container: ECHO });
    new LoadBalancedApp(c, 'b', { name: 'b', container: ECHO });
    const objects = synthValid(c);
    expect(objects.filter((o) => o.metadata.name?.startsWith('cdk8s-balancer-proxy-'))).toHaveLength(1);
  });

  test('one bundle ConfigMap per resolved namespace, whether the namespace comes from the chart or the prop', () => {
    // GIVEN a chart in team-a, one app in it by the chart's namespace and one by its own prop
    const c = chart({ namespace: 'team-a' });
    new LoadBalancedApp(c, 'a', { name: 'a', container: ECHO });
    new LoadBalancedApp(c, 'b', { name: 'b', container: ECHO, namespace: 'team-a' });
    // WHEN synthesized
    const objects = synthValid(c);
    // THEN both apps mount the one bundle ConfigMap in team-a
    const bundles = objects.filter((o) => o.metadata.name?.startsWith('cdk8s-balancer-proxy-'));
    expect(bundles.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([expect.stringMatching(/^team-a\/cdk8s-balancer-proxy-[0-9a-f]{10}$/)]);
  });

  test('apps in different namespaces get a bundle ConfigMap each', () => {
    // GIVEN two apps in two namespaces of one chart
    const c = chart();
    new LoadBalancedApp(c, 'a', { name: 'a', container: ECHO, namespace: 'team-a' });
    new LoadBalancedApp(c, 'b', { name: 'b', container: ECHO, namespace: 'team-b' });
    // WHEN synthesized, THEN each namespace holds its own copy, since a pod mounts ConfigMaps of its namespace only
    const bundles = synthValid(c).filter((o) => o.metadata.name?.startsWith('cdk8s-balancer-proxy-'));
    expect(bundles.map((o) => o.metadata.namespace)).toEqual(['team-a', 'team-b']);
  });

  test('the bundle file is read once per namespace, not once per app', () => {
    const fs = jest.requireActual('node:fs') as typeof import('node:fs');
    const spy = jest.spyOn(fs, 'readFileSync');
    try {
      const c = chart();
      for (const name of ['a', 'b', 'c']) new LoadBalancedApp(c, name, { name, container: ECHO, proxy: { bundleFile: bundleA } });
      expect(spy.mock.calls.filter(([file]) => file === bundleA)).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });

  test('the real bundle from `npm run build` is shipped by default', () => {
    const { readFileSync } = jest.requireActual('node:fs') as typeof import('node:fs');
    const { DEFAULT_BUNDLE_FILE } = jest.requireActual('../../src/constructs/internal/proxy-bundle') as typeof import('../../src/constructs/internal/proxy-bundle');
    const objects = synth();
    const zlib = jest.requireActual('node:zlib') as typeof import('node:zlib');
    const cm = objects.find((o) => o.metadata.name?.startsWith('cdk8s-balancer-proxy-'))!;
    expect(zlib.brotliDecompressSync(Buffer.from(cm.binaryData!['proxy.js.br'], 'base64')).toString('utf8')).toBe(readFileSync(DEFAULT_BUNDLE_FILE, 'utf8'));
  });

  test('fails when a given bundle file is missing, naming it and the prop', () => {
    const c = chart();
    expect(() => new LoadBalancedApp(c, 'hello', { container: ECHO, proxy: { bundleFile: '/nonexistent/proxy.bundle.js' } })).toThrow(
      /^LB_BUNDLE_MISSING: test\/hello\/Gateway: the proxy bundle was not found \(looked at \/nonexistent\/proxy.bundle.js\); fix: point proxy.bundleFile at an existing file/,
    );
  });

  test('fails when the bundle is over the ConfigMap budget', () => {
    const c = chart();
    // random bytes do not compress: ~1.07 MiB of them stay over the budget after brotli and base64
    const { randomBytes } = jest.requireActual('node:crypto') as typeof import('node:crypto');
    const big = fakeBundle(randomBytes(800 * 1024).toString('base64'));
    expect(() => new LoadBalancedApp(c, 'hello', { container: ECHO, proxy: { bundleFile: big } })).toThrow(
      /LB_PROPS_INVALID: test\/hello\/Gateway: the proxy bundle .* takes \d+ bytes compressed, over the 1032192-byte ConfigMap budget; fix: /,
    );
  });
});
