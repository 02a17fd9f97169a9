/**
 * End to end from the example's manifests: run `node lib/main.js` exactly as `npm run synth` does, validate every
 * object, take the proxy bundle and configs out of the synthesized ConfigMaps, lay them out where the pod's volume
 * mounts put them, and start the containers' own commands with `node`. Discovery is real: the headless Service's DNS
 * name is answered by dnsmasq on loopback (pointed to with LB_DNS_SERVERS, the one environment variable a test adds),
 * with one A record per "pod" — three HTTP backends on 127.0.0.31-33.
 *
 * Needs `npm run build` (lib/main.js, lib/proxy.bundle.js) and dnsmasq (`.ci/run` installs it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { formatProblem, validateManifests } from '../../src/testing';
import { Backend, Dnsmasq, E2E_NAMESPACE, Manifest, ProxyProcess, findDnsmasq, getText, layOutContainer, proxyContainers, startBackend } from './harness';
import { PROXY_NODES } from '../proxy/runtime';

const ROOT = path.resolve(__dirname, '../..');

/** Runs `total` calls of `fn` with at most `concurrency` at once; resolves to every result. */
async function inParallel<T>(concurrency: number, total: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      out.push(await fn());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}
const MAIN = path.join(ROOT, 'lib/main.js');

function synth(outdir: string): void {
  execFileSync(process.execPath, [MAIN], { cwd: ROOT, env: { ...process.env, CDK8S_OUTDIR: outdir }, stdio: 'pipe' });
}

function readDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = readFileSync(path.join(dir, f), 'utf8');
  return out;
}

const work = mkdtempSync(path.join(tmpdir(), 'lb-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the synthesized example', () => {
  let files: Record<string, string>;
  let objects: Manifest[];

  beforeAll(() => {
    synth(path.join(work, 'dist-a'));
    files = readDir(path.join(work, 'dist-a'));
    // The hello chart; the gRPC and TCP charts beside it are test/e2e/protocols.test.ts's.
    objects = parseAllDocuments(files['hello.k8s.yaml']).map((d) => d.toJS() as Manifest);
  });

  test('writes YAML files holding every part of the app', () => {
    expect(Object.keys(files).length).toBeGreaterThan(0);
    const kinds = new Set(objects.map((o) => o.kind));
    for (const k of ['Deployment', 'Service', 'ConfigMap', 'Job', 'NetworkPolicy', 'PodDisruptionBudget']) {
      expect(kinds).toContain(k);
    }
  });

  test('is byte-identical across runs', () => {
    synth(path.join(work, 'dist-b'));
    expect(readDir(path.join(work, 'dist-b'))).toEqual(files);
  });

  test('passes the 1.27 schema, the semantic rules, restricted PSS and secret hygiene', () => {
    // The example references an existing Secret (AppSecret.fromExisting), created outside the chart.
    const problems = validateManifests(objects);
    expect(problems.map(formatProblem)).toEqual([]);
  });

  test('runs a gateway, a sidecar consumer and a smoke test from the one bundle ConfigMap', () => {
    const roles = proxyContainers(objects).map((c) => c.role).sort();
    expect(roles).toEqual(['gateway', 'sidecar', 'smoke']);
  });
});

const dnsmasqPath = findDnsmasq();
const describeWithDns = dnsmasqPath ? describe : describe.skip;
/** The proxy side runs on this Node and, when fetched (scripts/pod-node.sh), on the pod image's Node 24.11.1. */
const RUNTIMES: Array<[string, string]> = PROXY_NODES.map((n) => [`node ${execFileSync(n, ['--version']).toString().trim()}`, n]);
if (!dnsmasqPath) {
  // CI installs dnsmasq, so there a missing one is a failure; on a laptop, say loudly what was skipped.
  if (process.env.CI) throw new Error('dnsmasq is not installed: .ci/run must install dnsmasq-base');
  console.warn('end-to-end traffic tests SKIPPED: dnsmasq is not installed (apt-get install dnsmasq-base)');
}

describeWithDns('traffic through the proxy started from the synthesized manifests', () => {
  const addresses = ['127.0.0.31', '127.0.0.32', '127.0.0.33'];
  let objects: Manifest[];
  let backends: Backend[] = [];
  let dns: Dnsmasq;
  let hostname: string;
  let upstreamPort: number;

  beforeAll(async () => {
    const out = path.join(work, 'dist-traffic');
    synth(out);
    objects = parseAllDocuments(readDir(out)['hello.k8s.yaml']).map((d) => d.toJS() as Manifest);
    const gateway = proxyContainers(objects).find((c) => c.role === 'gateway')!;
    const config = JSON.parse(layOutContainer(objects, gateway, path.join(work, 'probe')).files['config.json']);
    // The example chart sets no namespace: the name waits for the pod's, and `-n team-e2e` decides it.
    expect(config.upstream.sources[0].hostname).toBe('hello-headless.$(POD_NAMESPACE).svc.cluster.local');
    hostname = config.upstream.sources[0].hostname.replace('$(POD_NAMESPACE)', E2E_NAMESPACE);
    upstreamPort = config.upstream.port;
    backends = await Promise.all(addresses.map((a) => startBackend(a, upstreamPort)));
    dns = await Dnsmasq.start(dnsmasqPath!, work, hostname, addresses);
  });

  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    dns?.stop();
  });

  test.each(RUNTIMES)('the gateway balances over every pod DNS returns, follows DNS changes and drains on SIGTERM (%s)', async (_name, node) => {
    const gateway = proxyContainers(objects).find((c) => c.role === 'gateway')!;
    const proxy = await ProxyProcess.start(objects, gateway, path.join(work, `gw-${_name}`), dns.address, node);
    try {
      await proxy.waitReady(10_000);
      // Eight clients at once: peak EWMA weighs latency by in-flight requests, so concurrent load spreads over the
      // pods (sequential requests would all go to whichever pod answered its first request fastest, by design).
      const results = await inParallel(8, 200, () => getText(proxy.listenPort, '/'));
      expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
      for (const a of addresses) expect(results.filter((r) => r.body === `pod ${a}`).length).toBeGreaterThan(0);
      expect(results.every((r) => addresses.some((a) => r.body === `pod ${a}`))).toBe(true);

      // A pod goes away: its A record is removed and dnsmasq re-reads its hosts file.
      dns.setRecords(addresses.slice(0, 2));
      await proxy.waitFor(async () => (await proxy.endpointIds()).length === 2, 10_000);
      const after = backends[2].count;
      for (let i = 0; i < 20; i++) expect((await getText(proxy.listenPort, '/')).status).toBe(200);
      expect(backends[2].count).toBe(after);
      dns.setRecords(addresses);
      await proxy.waitFor(async () => (await proxy.endpointIds()).length === 3, 10_000);
    } finally {
      expect(await proxy.stop()).toBe(0);
    }
  });

  test.each(RUNTIMES)('a consumer reaches the app through its sidecar on 127.0.0.1 (%s)', async (_name, node) => {
    const sidecar = proxyContainers(objects).find((c) => c.role === 'sidecar')!;
    const proxy = await ProxyProcess.start(objects, sidecar, path.join(work, `sc-${_name}`), dns.address, node);
    try {
      await proxy.waitReady(10_000);
      expect(proxy.listenHost).toBe('127.0.0.1');
      const results = await inParallel(8, 100, () => getText(proxy.listenPort, '/', proxy.listenHost));
      expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
      expect(new Set(results.map((r) => r.body))).toEqual(new Set(addresses.map((a) => `pod ${a}`)));
    } finally {
      expect(await proxy.stop()).toBe(0);
    }
  });

  test('the smoke test passes when every pod answers and names the pod that does not', async () => {
    const smoke = proxyContainers(objects).find((c) => c.role === 'smoke')!;
    const ok = await ProxyProcess.run(objects, smoke, path.join(work, 'smoke-ok'), dns.address, 30_000);
    expect(ok.code).toBe(0);

    dns.setRecords([...addresses, '127.0.0.34']); // a "pod" whose process is not listening
    try {
      const bad = await ProxyProcess.run(objects, smoke, path.join(work, 'smoke-bad'), dns.address, 30_000, [
        '--smoke-timeout-ms',
        '3000',
      ]);
      expect(bad.code).not.toBe(0);
      expect(bad.output).toContain('127.0.0.34');
    } finally {
      dns.setRecords(addresses);
    }
  });
});

test('the harness finds the built bundle', () => {
  expect(existsSync(path.join(ROOT, 'lib/proxy.bundle.js'))).toBe(true);
});
