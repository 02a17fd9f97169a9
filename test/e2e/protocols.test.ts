/**
 * End to end from the synthesized manifests, for the example's gRPC app (greeter) and TCP app (cache): run
 * `node lib/main.js` as `npm run synth` does, take each gateway's bundle and config out of the ConfigMaps (and its TLS
 * pair out of its Secret), start the container's own command, and send real traffic through it. Discovery is real:
 * dnsmasq on loopback answers the headless Service's name with one A record per "pod" (127.0.0.4x for gRPC,
 * 127.0.0.5x for TCP). The proxies run on free ports, so these tests and example.test.ts may run at once.
 *
 * These need the proxy's HTTP/2, gRPC, TLS and TCP support (issue 7's proxy side).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { AppSecret, GatewayTls } from '../../src';
import { GreeterChart } from '../../src/main';
import { formatProblem, validateManifests } from '../../src/testing';
import { Dnsmasq, E2E_NAMESPACE, findDnsmasq, layOutContainer, Manifest, proxyContainers, ProxyProcess } from './harness';
import { countStream, freePort, GrpcBackend, grpcClient, startGrpcBackend, startTcpBackend, TcpBackend, tcpExchange, unary } from './protocol-backends';

const ROOT = path.resolve(__dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'lb-e2e-protocols-'));
chmodSync(work, 0o755); // dnsmasq reads its hosts file below this directory after dropping privileges
afterAll(() => rmSync(work, { recursive: true, force: true }));

function synthExample(): Manifest[] {
  const out = path.join(work, 'dist');
  execFileSync(process.execPath, [path.join(ROOT, 'lib/main.js')], { cwd: ROOT, env: { ...process.env, CDK8S_OUTDIR: out }, stdio: 'pipe' });
  // Every file: the greeter and cache charts mount the proxy bundle the first chart (hello) holds.
  return readdirSync(out).sort().flatMap((f) => parseAllDocuments(readFileSync(path.join(out, f), 'utf8')).map((d) => d.toJS() as Manifest));
}

/** The gateway container of `app`, its config, and its discovery host name in the e2e namespace. */
function gatewayOf(objects: Manifest[], app: string) {
  const pc = proxyContainers(objects).find((c) => c.workload.metadata.name === `${app}-gateway`);
  if (!pc) throw new Error(`no ${app}-gateway in the synthesized objects`);
  const config = JSON.parse(layOutContainer(objects, pc, path.join(work, `probe-${app}`)).files['config.json']);
  return { pc, config, hostname: (config.upstream.sources[0].hostname as string).replace('$(POD_NAMESPACE)', E2E_NAMESPACE) };
}

async function startProxy(objects: Manifest[], pc: ReturnType<typeof gatewayOf>['pc'], name: string, dns: Dnsmasq): Promise<ProxyProcess> {
  const ports = { listener: await freePort(), admin: await freePort() };
  const proxy = await ProxyProcess.start(objects, pc, path.join(work, name), dns.address, process.execPath, ports);
  await proxy.waitReady(10_000);
  return proxy;
}

/** A self-signed pair for `name`, made by openssl; the e2e runs where .ci/run installs it. */
function selfSignedPair(name: string): { cert: Buffer; key: Buffer } {
  const dir = path.join(work, `pki-${name}`);
  mkdirSync(dir, { recursive: true });
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', path.join(dir, 'tls.key'), '-out', path.join(dir, 'tls.crt'), '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`,
  ], { stdio: 'pipe' });
  return { cert: readFileSync(path.join(dir, 'tls.crt')), key: readFileSync(path.join(dir, 'tls.key')) };
}

const dnsmasqPath = findDnsmasq();
const describeWithDns = dnsmasqPath ? describe : describe.skip;
if (!dnsmasqPath) {
  if (process.env.CI) throw new Error('dnsmasq is not installed: .ci/run must install dnsmasq-base');
  console.warn('end-to-end protocol tests SKIPPED: dnsmasq is not installed (apt-get install dnsmasq-base)');
}

describeWithDns('gRPC through the gateway started from the synthesized greeter chart', () => {
  const addresses = ['127.0.0.41', '127.0.0.42', '127.0.0.43'];
  let objects: Manifest[];
  let backends: GrpcBackend[] = [];
  let dns: Dnsmasq;
  let gateway: ReturnType<typeof gatewayOf>;

  beforeAll(async () => {
    objects = synthExample();
    gateway = gatewayOf(objects, 'greeter');
    expect(gateway.config.listener.protocol).toBe('grpc');
    backends = await Promise.all(addresses.map((a) => startGrpcBackend(a, gateway.config.upstream.port)));
    mkdirSync(path.join(work, 'dns-grpc'));
    dns = await Dnsmasq.start(dnsmasqPath!, path.join(work, 'dns-grpc'), gateway.hostname, addresses);
  });

  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    dns?.stop();
  });

  test('the synthesized objects validate with nothing external', () => {
    expect(validateManifests(objects).map(formatProblem)).toEqual([]);
  });

  test('unary calls over one client connection spread over every pod, streams pass through, and gRPC statuses survive', async () => {
    const proxy = await startProxy(objects, gateway.pc, 'gw-grpc', dns);
    const client = grpcClient(`127.0.0.1:${proxy.listenPort}`);
    try {
      // One client is one HTTP/2 connection: kube-proxy would send all of it to one pod; the gateway balances calls.
      const results = await Promise.all(Array.from({ length: 60 }, () => unary(client, '/demo.Echo/Say')));
      expect(results.filter((r) => !r.ok)).toEqual([]);
      const bodies = results.map((r) => (r.ok ? r.body : ''));
      for (const a of addresses) expect(bodies.filter((b) => b === `pod ${a}`).length).toBeGreaterThan(0);

      const stream = await countStream(client, 5);
      expect([stream.code, stream.messages.length]).toEqual([0, 5]);

      // A backend's own status (here UNIMPLEMENTED, 12) reaches the client from the trailers, not as a proxy error.
      const missing = await unary(client, '/demo.Echo/Missing');
      expect(missing).toMatchObject({ ok: false, code: 12 });
    } finally {
      client.close();
      expect(await proxy.stop()).toBe(0);
    }
  });

  test('the active health check asks each pod grpc.health.v1.Health/Check about the service the chart names', async () => {
    for (const b of backends) b.healthChecks.length = 0;
    const proxy = await startProxy(objects, gateway.pc, 'gw-grpc-health', dns);
    try {
      await proxy.waitFor(async () => backends.every((b) => b.healthChecks.length > 0), 10_000);
      expect(new Set(backends.flatMap((b) => b.healthChecks))).toEqual(new Set(['podinfo']));
      expect(proxy.output).not.toContain('failed health checks');
    } finally {
      expect(await proxy.stop()).toBe(0);
    }
  });

  test('with TLS at the gateway from a kubernetes.io/tls Secret, a TLS client’s calls spread the same way', async () => {
    // GIVEN the greeter chart with a real pair, synthesized in-process (a fresh cdk8s app holds its own bundle)
    const pair = selfSignedPair('greeter.e2e.test');
    const secret = AppSecret.fromValues({ 'tls.crt': pair.cert.toString(), 'tls.key': pair.key.toString() }, { type: 'kubernetes.io/tls' });
    const tlsObjects = Testing.synth(new GreeterChart(Testing.app(), 'greeter', { tls: GatewayTls.fromAppSecret(secret) })) as Manifest[];
    expect(validateManifests(tlsObjects).map(formatProblem)).toEqual([]);
    const tlsGateway = gatewayOf(tlsObjects, 'greeter');
    expect(tlsGateway.config.listener.tls.certFile).toBe('/etc/cdk8s-balancer-tls/tls.crt');
    const proxy = await startProxy(tlsObjects, tlsGateway.pc, 'gw-grpc-tls', dns);
    const client = grpcClient(`127.0.0.1:${proxy.listenPort}`, { ca: pair.cert, serverName: 'greeter.e2e.test' });
    try {
      // WHEN calls go over one TLS connection (ALPN h2)
      const results = await Promise.all(Array.from({ length: 30 }, () => unary(client, '/demo.Echo/Say')));
      // THEN
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(new Set(results.map((r) => (r.ok ? r.body : '')))).toEqual(new Set(addresses.map((a) => `pod ${a}`)));
    } finally {
      client.close();
      expect(await proxy.stop()).toBe(0);
    }
  });
});

describeWithDns('TCP through the gateway started from the synthesized cache chart', () => {
  const addresses = ['127.0.0.51', '127.0.0.52', '127.0.0.53'];
  let objects: Manifest[];
  let backends: TcpBackend[] = [];
  let dns: Dnsmasq;
  let gateway: ReturnType<typeof gatewayOf>;

  beforeAll(async () => {
    objects = synthExample();
    gateway = gatewayOf(objects, 'cache');
    expect(gateway.config.listener.protocol).toBe('tcp');
    backends = await Promise.all(addresses.map((a) => startTcpBackend(a, gateway.config.upstream.port)));
    mkdirSync(path.join(work, 'dns-tcp'));
    dns = await Dnsmasq.start(dnsmasqPath!, path.join(work, 'dns-tcp'), gateway.hostname, addresses);
  });

  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    dns?.stop();
  });

  test('each connection goes whole to one pod, connections spread over every pod, and a half-close passes through', async () => {
    const proxy = await startProxy(objects, gateway.pc, 'gw-tcp', dns);
    try {
      const replies = await Promise.all(Array.from({ length: 12 }, (_v, i) => tcpExchange(proxy.listenPort, `ping ${i}\n`)));
      replies.forEach((reply, i) => {
        // The greeting and the echo come from one pod: the connection was not split.
        expect(reply).toMatch(new RegExp(`^pod 127\\.0\\.0\\.5[1-3]\\nping ${i}\\n$`));
      });
      const pods = new Set(replies.map((r) => r.split('\n')[0]));
      expect(pods).toEqual(new Set(addresses.map((a) => `pod ${a}`)));
      expect(backends.reduce((n, b) => n + b.connections, 0)).toBeGreaterThanOrEqual(12);
    } finally {
      expect(await proxy.stop()).toBe(0);
    }
  });
});
