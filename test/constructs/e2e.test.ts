/**
 * End to end: synthesize, take the bundle and the config out of the synthesized ConfigMaps, lay them out as the pod's
 * mounts would, and run the container's own command with `node` against a real backend on loopback.
 *
 * The one stand-in: the config's headless-Service host name is replaced by 127.0.0.1, since there is no cluster DNS.
 * Needs lib/proxy.bundle.js (`npm run build`), as every construct test does.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdk8s';
import { Algorithm, LoadBalancedApp } from '../../src';
import { chart, find, Obj, podSpec, SMOKE_JOB } from './helpers';

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Writes each mounted ConfigMap key where the container would see it, under `root`; returns the command re-rooted. */
function layOut(objects: Obj[], workload: Obj, root: string, host: string): string[] {
  const spec = podSpec(workload);
  const container = spec.containers[0];
  for (const mount of container.volumeMounts as Array<{ name: string; mountPath: string }>) {
    const volume = spec.volumes.find((v: { name: string }) => v.name === mount.name);
    if (!volume.configMap) continue;
    const cm = find(objects, 'ConfigMap', volume.configMap.name);
    for (const item of volume.configMap.items as Array<{ key: string; path: string }>) {
      // a binaryData value lands as its decoded bytes, as a kubelet writes it
      let content: string | Buffer = cm.data?.[item.key] ?? Buffer.from(cm.binaryData![item.key], 'base64');
      if (item.key === 'config.json') content = String(content).split('hello-headless.$(POD_NAMESPACE).svc.cluster.local').join(host);
      mkdirSync(path.join(root, mount.mountPath), { recursive: true });
      writeFileSync(path.join(root, mount.mountPath, item.path), content);
    }
  }
  return (container.command as string[]).map((arg) => (arg.startsWith('/') ? path.join(root, arg) : arg));
}

function run(command: string[]): ChildProcess {
  return spawn(process.execPath, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function get(port: number, p = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
  });
}

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

describe('end to end through the synthesized proxy', () => {
  let backend: http.Server;
  let appPort: number;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    backend = http.createServer((_req, res) => res.end('hello from backend'));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    appPort = (backend.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await new Promise((r) => backend.close(r));
  });

  function synth(gatewayPort: number, adminPort: number): Obj[] {
    const c = chart();
    new LoadBalancedApp(c, 'hello', {
      name: 'hello',
      container: { image: 'hashicorp/http-echo:1.0.0', ports: [{ name: 'http', number: appPort }] },
      algorithm: Algorithm.peakEwma(),
      gateway: { port: gatewayPort },
      proxy: { adminPort },
      smokeTest: true,
    });
    return Testing.synth(c) as Obj[];
  }

  test('the gateway command serves traffic to the backend and reports ready on /readyz', async () => {
    const [gatewayPort, adminPort] = [await freePort(), await freePort()];
    const objects = synth(gatewayPort, adminPort);
    const root = mkdtempSync(path.join(tmpdir(), 'lb-e2e-'));
    const proc = run(layOut(objects, find(objects, 'Deployment', 'hello-gateway'), root, '127.0.0.1'));
    children.push(proc);
    await until(async () => (await get(adminPort, '/readyz')).status === 200, 10_000);
    for (let i = 0; i < 5; i++) {
      expect(await get(gatewayPort)).toEqual({ status: 200, body: 'hello from backend' });
    }
    proc.kill('SIGTERM');
  });

  test('the smoke-test Job command exits 0 when every backend answered', async () => {
    const objects = synth(await freePort(), await freePort());
    const root = mkdtempSync(path.join(tmpdir(), 'lb-e2e-'));
    const command = layOut(objects, find(objects, 'Job', SMOKE_JOB), root, '127.0.0.1');
    expect(command.slice(-3)).toEqual(['--smoke', '--smoke-timeout-ms', '120000']);
    const proc = run(command);
    children.push(proc);
    let output = '';
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((r) => proc.on('exit', r));
    expect({ code, output }).toMatchObject({ code: 0 });
  });
});
