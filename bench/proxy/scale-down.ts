/**
 * Failed requests during a scale-down under load, with DNS discovery and with EndpointSlice discovery (issue 9).
 *
 * Three pods behind the proxy take POSTs (not retried once sent) from 8 clients. At t0 one pod leaves discovery, as
 * when Kubernetes deletes it, and 500 ms later it exits, dropping what it still has in flight (an app that stops on
 * SIGTERM). DNS discovery learns of the removal at its next look-up (refreshIntervalMs, 5 s by default); the
 * EndpointSlice watch within milliseconds. Run: npm run bench:scale-down (needs dnsmasq).
 */
import * as http from 'node:http';
import { Dnsmasq, findDnsmasq } from '../../test/e2e/harness';
import { cleanTmp, request, sleep, startProxy, tmpFile, waitFor, get } from '../../test/proxy/helpers';
import { CA_FILE, KubeApiDouble } from '../../test/proxy/k8s-double';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const HOSTS = ['127.0.0.81', '127.0.0.82', '127.0.0.83'];
const HOSTNAME = 'web-headless.team-a.svc.cluster.local';

interface Pod {
  readonly host: string;
  readonly server: http.Server;
  hits: number;
}

async function startPods(port: number): Promise<Pod[]> {
  return Promise.all(
    HOSTS.map(
      (host) =>
        new Promise<Pod>((resolve) => {
          const pod: Pod = { host, hits: 0, server: http.createServer({ keepAliveTimeout: 30_000 }) };
          pod.server.on('request', (req, res) => {
            pod.hits++;
            req.resume();
            setTimeout(() => res.end(host), 20);
          });
          pod.server.listen(port, host, () => resolve(pod));
        }),
    ),
  );
}

async function run(mode: 'dns' | 'slices', port: number, dnsmasq: string): Promise<{ failed: number; total: number; afterExit: number; lastPickMs: number; rssMiB: number }> {
  const pods = await startPods(port);
  let dns: Dnsmasq | undefined;
  let api: KubeApiDouble | undefined;
  let source: object;
  if (mode === 'dns') {
    dns = await Dnsmasq.start(dnsmasq, mkdtempSync(path.join(tmpdir(), 'lb-sd-')), HOSTNAME, HOSTS);
    source = { kind: 'dns', hostname: HOSTNAME, servers: [dns.address] };
  } else {
    api = await new KubeApiDouble().start();
    api.put('team-a', 'web-headless', 'web-1', port, HOSTS.map((address) => ({ address })));
    source = { kind: 'endpoint-slices', service: 'web-headless', namespace: 'team-a', apiServer: api.url, tokenFile: tmpFile('token', api.token), caFile: CA_FILE };
  }
  const proxy = await startProxy({ upstream: { port, sources: [source] }, algorithm: { kind: 'round-robin' } } as never, { waitReady: false });
  await waitFor(async () => (await get(proxy.host, proxy.adminPort, '/readyz')).status === 200, 10_000, 'ready');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let stop = false;
  let failed = 0;
  let total = 0;
  let t0 = Infinity;
  let exitedAt = Infinity;
  let afterExit = 0;
  let lastPick = 0;
  const victim = pods[2];
  victim.server.on('request', () => (lastPick = performance.now()));
  const workers = Array.from({ length: 8 }, async () => {
    while (!stop) {
      const r = await request(proxy.host, proxy.port, '/', { method: 'POST', body: 'x', agent }).catch(() => ({ status: 0 }));
      total++;
      if (r.status !== 200) {
        failed++;
        if (performance.now() > exitedAt) afterExit++;
      }
    }
  });
  await sleep(2_000);
  t0 = performance.now();
  if (dns) dns.setRecords(HOSTS.slice(0, 2));
  if (api) api.put('team-a', 'web-headless', 'web-1', port, HOSTS.slice(0, 2).map((address) => ({ address })));
  await sleep(500);
  exitedAt = performance.now();
  victim.server.close();
  victim.server.closeAllConnections();
  await sleep(6_000);
  stop = true;
  await Promise.all(workers);
  agent.destroy();
  const status = readFileSync(`/proc/${proxy.child.pid}/status`, 'utf8');
  const rssMiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  await proxy.stop();
  dns?.stop();
  await api?.close();
  for (const p of pods.slice(0, 2)) {
    p.server.close();
    p.server.closeAllConnections();
  }
  return { failed, total, afterExit, lastPickMs: Math.max(0, lastPick - t0), rssMiB };
}

async function main(): Promise<void> {
  const dnsmasq = findDnsmasq();
  if (!dnsmasq) throw new Error('dnsmasq is not installed (apt-get install dnsmasq-base)');
  const runs = Number(process.env.RUNS ?? 3);
  for (const mode of ['dns', 'slices'] as const) {
    for (let i = 0; i < runs; i++) {
      const r = await run(mode, 18_500 + i + (mode === 'dns' ? 0 : 10), dnsmasq);
      console.log(
        `${mode.padEnd(7)} run ${i + 1}: ${r.failed} failed of ${r.total} POSTs; last new request to the removed pod ${r.lastPickMs.toFixed(0)} ms after it left discovery; proxy RSS ${r.rssMiB.toFixed(0)} MiB`,
      );
    }
  }
  cleanTmp();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
