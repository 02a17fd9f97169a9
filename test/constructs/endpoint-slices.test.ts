/**
 * Issue 9, constructs: Discovery.endpointSlices() writes the source, the ServiceAccount and exactly the RBAC it needs,
 * mounts a token only where the proxy runs, and the synthesized gateway runs against the API server double with the
 * token and CA laid out where a ServiceAccount mount puts them.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Discovery, LoadBalancedApp } from '../../src';
import { validateManifests } from '../../src/testing';
import { freePort, startBackend, waitFor } from '../proxy/helpers';
import { CA_FILE, KubeApiDouble } from '../proxy/k8s-double';
import { chart, ECHO, find, Obj } from './helpers';

function synth(namespace?: string) {
  const c = chart(namespace ? { namespace } : {});
  const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, discovery: Discovery.endpointSlices(), smokeTest: true });
  app.addConsumer(new kplus.Deployment(c, 'web', { containers: [{ image: 'my/web:1.2.3', resources: { cpu: { request: kplus.Cpu.millis(10) }, memory: { request: Size.mebibytes(32) } } }] }));
  return Testing.synth(c) as Obj[];
}
const podSpec = (o: Obj) => (o.kind === 'Job' || o.kind === 'Deployment' ? o.spec.template.spec : o.spec);

describe('Discovery.endpointSlices()', () => {
  test('writes an endpoint-slices source for the headless Service, in the pods\' namespace, on the balanced port', () => {
    const objects = synth();
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name?.startsWith('hello-lb-gateway-'))!;
    expect(JSON.parse(cm.data!['config.json']).upstream.sources).toEqual([
      { kind: 'endpoint-slices', subset: 'default', service: 'hello-headless', namespace: '$(POD_NAMESPACE)', portName: 'http', weight: 1, tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token', caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', resyncMs: 300000 },
    ]);
    expect(validateManifests(objects)).toEqual([]);
  });

  test('grants exactly get, list and watch on endpointslices, to the one ServiceAccount', () => {
    const objects = synth('team-a');
    const role = find(objects, 'Role', 'hello-lb-discovery') as Obj & { rules: unknown };
    expect(role.rules).toEqual([{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }]);
    const binding = find(objects, 'RoleBinding', 'hello-lb-discovery') as Obj & { roleRef: unknown; subjects: unknown };
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'hello-lb-discovery' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'hello-lb-discovery' }]);
    expect(objects.filter((o) => ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))).toHaveLength(2);
  });

  test('the validator flags a Role of ours that grants more, and any cluster-wide role of ours', () => {
    const objects = synth('team-a');
    const i = objects.findIndex((o) => o.kind === 'Role');
    const role = objects[i] as Obj & { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    const widen = (rules: unknown) => objects.map((o, j) => (j === i ? { ...role, rules } : o));
    const codes = (list: unknown[]) => validateManifests(list).map((p) => `${p.code} ${p.path}`);
    expect(codes(objects)).toEqual([]);
    expect(codes(widen([{ ...role.rules[0], verbs: ['get', 'list', 'watch', 'create'] }]))).toEqual(['RBAC_TOO_BROAD rules[0].verbs']);
    expect(codes(widen([role.rules[0], { apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]))).toEqual(['RBAC_TOO_BROAD rules[1].apiGroups']);
    const cluster = objects.map((o, j) => (j === i ? { ...role, kind: 'ClusterRole', metadata: { ...role.metadata, namespace: undefined } } : o));
    expect(codes(cluster)).toContain('RBAC_TOO_BROAD kind');
  });

  test('only pods that run the proxy mount the token', () => {
    const objects = synth();
    const access = (o: Obj) => [podSpec(o).serviceAccountName, podSpec(o).automountServiceAccountToken];
    expect(access(find(objects, 'Deployment', 'hello-gateway'))).toEqual(['hello-lb-discovery', true]);
    expect(access(objects.find((o) => o.kind === 'Deployment' && o.metadata.name?.startsWith('test-web'))!)).toEqual(['hello-lb-discovery', true]);
    expect(access(objects.find((o) => o.kind === 'Job')!)).toEqual(['hello-lb-discovery', true]);
    expect(podSpec(find(objects, 'Deployment', 'hello')).automountServiceAccountToken).toBe(false);
    expect(podSpec(find(objects, 'Deployment', 'hello')).serviceAccountName).toBeUndefined();
  });

  test('a consumer with its own ServiceAccount is refused, naming both', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, discovery: Discovery.endpointSlices() });
    const own = new kplus.ServiceAccount(c, 'own', { metadata: { name: 'web-sa' } });
    const web = new kplus.Deployment(c, 'web', { serviceAccount: own, containers: [{ image: 'my/web:1.2.3' }] });
    expect(() => app.addConsumer(web)).toThrow(/consumer serviceAccount is invalid \(got "web-sa"\); fix: EndpointSlice discovery runs the sidecar as hello-lb-discovery/);
  });

  test('the synthesized gateway runs against the API server double, with the token and CA where a pod has them', async () => {
    const api = await new KubeApiDouble().start();
    const backend = await startBackend('127.0.0.71', (req, res) => {
      req.resume();
      res.end('pod 127.0.0.71');
    });
    api.put('team-e2e', 'hello-headless', 'hello-headless-x1', backend.port, [{ address: '127.0.0.71' }]);
    const root = mkdtempSync(path.join(tmpdir(), 'lb-slices-e2e-'));
    const [listen, admin] = [await freePort(), await freePort()];
    try {
      const objects = synth();
      const gw = find(objects, 'Deployment', 'hello-gateway');
      const container = podSpec(gw).containers[0];
      // Lay out what the kubelet would: the mounted ConfigMaps, and the ServiceAccount's token and CA.
      const sa = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
      mkdirSync(sa, { recursive: true });
      writeFileSync(path.join(sa, 'token'), api.token);
      copyFileSync(CA_FILE, path.join(sa, 'ca.crt'));
      for (const mount of container.volumeMounts as { name: string; mountPath: string }[]) {
        const volume = podSpec(gw).volumes.find((v: { name: string }) => v.name === mount.name);
        if (!volume.configMap) continue;
        const cm = find(objects, 'ConfigMap', volume.configMap.name);
        mkdirSync(path.join(root, mount.mountPath), { recursive: true });
        for (const item of volume.configMap.items as { key: string; path: string }[]) {
          let content: string | Buffer = cm.data?.[item.key] ?? Buffer.from(cm.binaryData![item.key], 'base64');
          if (item.key === 'config.json') {
            // The test's ports, and the ServiceAccount files under the test's root instead of /.
            const cfg = JSON.parse(String(content));
            cfg.listener.port = listen;
            cfg.admin.port = admin;
            cfg.admin.host = '127.0.0.1';
            for (const s of cfg.upstream.sources) Object.assign(s, { tokenFile: path.join(sa, 'token'), caFile: path.join(sa, 'ca.crt') });
            content = JSON.stringify(cfg);
          }
          writeFileSync(path.join(root, mount.mountPath, item.path), content);
        }
      }
      const command = (container.command as string[]).map((a) => (a.startsWith('/') ? path.join(root, a) : a));
      const env = { ...process.env, POD_NAMESPACE: 'team-e2e', KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) };
      const child = spawn(process.execPath, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      try {
        const fetch = (port: number, p: string) =>
          new Promise<{ status: number; body: string }>((resolve, reject) => {
            http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
              let body = '';
              res.on('data', (d) => (body += d));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            }).on('error', reject);
          });
        await waitFor(async () => (await fetch(admin, '/readyz')).status === 200, 10_000, `gateway ready (output: ${out})`);
        expect(await fetch(listen, '/')).toEqual({ status: 200, body: 'pod 127.0.0.71' });
        expect(api.requests.some((r) => r.startsWith('GET /apis/discovery.k8s.io/v1/namespaces/team-e2e/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dhello-headless'))).toBe(true);
      } finally {
        child.kill('SIGKILL');
      }
    } finally {
      await backend.close();
      await api.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('slowStart and zoneAware props', () => {
  const config = (props: object) => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, discovery: Discovery.endpointSlices(), ...props });
    const cm = (Testing.synth(c) as Obj[]).find((o) => o.kind === 'ConfigMap' && o.metadata.name?.startsWith('hello-lb-gateway-'))!;
    return JSON.parse(cm.data!['config.json']) as { slowStart?: unknown; zoneAware?: unknown };
  };

  test('reach the config with their defaults', () => {
    expect(config({ slowStart: { window: Duration.seconds(30) }, zoneAware: true })).toMatchObject({
      slowStart: { windowMs: 30_000, aggression: 1, minWeightPercent: 10 },
      zoneAware: {},
    });
    expect(config({ zoneAware: { zone: 'eu-west-1a' } }).zoneAware).toEqual({ zone: 'eu-west-1a' });
    const off = config({});
    expect([off.slowStart, off.zoneAware]).toEqual([undefined, undefined]);
  });

  test('a bad value is refused naming the prop', () => {
    expect(() => config({ slowStart: { window: Duration.seconds(30), minWeightPercent: 0 } })).toThrow(/slowStart\.minWeightPercent \(from slowStart\.minWeightPercent\)/);
  });

  test('proxy containers learn their node for the zone', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, discovery: Discovery.endpointSlices(), zoneAware: true });
    const gw = find(Testing.synth(c) as Obj[], 'Deployment', 'hello-gateway');
    expect(podSpec(gw).containers[0].env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
  });
});

test('zoneAware with DNS discovery is refused: DNS answers carry no zones', () => {
  const c = chart();
  expect(() => new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, zoneAware: true })).toThrow(
    /zoneAware \(from zoneAware \(with discovery\)\): zone-aware routing needs to know the endpoints' zones, and only endpoint-slices discovery does/,
  );
});
