/**
 * Start-up, readiness, admin endpoints and the SIGTERM drain, through the real bundle.
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { STAT_NAMES } from '../../src/proxy/metrics/stats';
import {
  Backend,
  BUNDLE,
  PROXY_NODE,
  cleanTmp,
  defaultHandler,
  freePort,
  get,
  request,
  requireBundle,
  RunningProxy,
  sleep,
  startBackend,
  startProxy,
  staticSource,
  tmpFile,
  waitFor,
} from './helpers';

describe('lifecycle and admin', () => {
  let backends: Backend[] = [];
  let proxy: RunningProxy | undefined;

  afterEach(async () => {
    await proxy?.stop('SIGKILL');
    proxy = undefined;
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
  });
  afterAll(cleanTmp);

  test('becomes ready quickly with static endpoints (spawn to /readyz 200)', async () => {
    requireBundle();
    backends = [await startBackend('127.0.0.31')];
    const port = await freePort();
    const adminPort = await freePort();
    const file = tmpFile('ready.json', JSON.stringify({
      version: 1,
      listener: { host: '127.0.0.1', port },
      admin: { host: '127.0.0.1', port: adminPort },
      upstream: { port: backends[0].port, sources: [staticSource(backends)] },
    }));
    const t0 = process.hrtime.bigint();
    const child = spawn(PROXY_NODE, [BUNDLE, '--config', file], { stdio: 'ignore' });
    try {
      await waitFor(async () => (await get('127.0.0.1', adminPort, '/readyz')).status === 200, 5000, 'ready');
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      // The target is 300 ms on an idle machine; CI machines are shared, so the assertion leaves headroom.
      console.log(`spawn to ready: ${ms.toFixed(0)} ms`);
      expect(ms).toBeLessThan(2000);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
    }
  });

  test('/readyz is 503 while no endpoint is discovered, /healthz is 200, and requests get 503', async () => {
    const deadDns = await freePort();
    proxy = await startProxy(
      { upstream: { port: 80, sources: [{ kind: 'dns', hostname: 'nothing.test', servers: [`127.0.0.1:${deadDns}`], refreshIntervalMs: 1000 }] } },
      { waitReady: false },
    );
    const p = proxy;
    await waitFor(async () => (await get(p.host, p.adminPort, '/healthz')).status === 200, 5000, 'healthz');
    const ready = await get(p.host, p.adminPort, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toContain('no endpoints discovered');
    const r = await request(p.host, p.port, '/');
    expect(r.status).toBe(503);
    expect(r.body).toContain('no healthy upstream');
  });

  test('/readyz is 503 when every endpoint fails its checks and panic mode is off', async () => {
    const sick = await startBackend('127.0.0.31', (req, res) => {
      req.resume();
      res.writeHead(500).end();
    });
    backends = [sick];
    proxy = await startProxy(
      {
        upstream: { port: sick.port, sources: [staticSource([sick])] },
        healthCheck: { intervalMs: 100, timeoutMs: 50, unhealthyThreshold: 1 },
        panicThresholdPercent: 0,
      },
      { waitReady: false },
    );
    const p = proxy;
    await waitFor(async () => (await get(p.host, p.adminPort, '/readyz')).status === 503, 5000, 'not ready');
    expect((await get(p.host, p.adminPort, '/readyz')).body).toContain('no eligible endpoint');
  });

  test('/metrics exposes every declared stat name; /admin/endpoints dumps endpoint state and balancer view', async () => {
    backends = [await startBackend('127.0.0.31'), await startBackend('127.0.0.32')];
    proxy = await startProxy({ upstream: { port: 1, sources: [staticSource(backends)] }, algorithm: { kind: 'peak-ewma' } });
    for (let i = 0; i < 4; i++) await request(proxy.host, proxy.port, '/');
    const m = await get(proxy.host, proxy.adminPort, '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toMatch(/text\/plain/);
    for (const name of STAT_NAMES) expect(m.body).toContain(`# HELP ${name} `);
    expect(m.body).toMatch(/lb_downstream_rq_total\{code_class="2xx"\} 4/);
    expect(m.body).toMatch(/lb_endpoints_total 2/);
    expect(m.body).toMatch(/lb_process_resident_memory_bytes/);
    const dump = JSON.parse((await get(proxy.host, proxy.adminPort, '/admin/endpoints')).body);
    expect(dump).toMatchObject({ algorithm: 'peak-ewma', ready: true, total: 2, healthy: 2 });
    expect(dump.endpoints.reduce((s: number, e: { successes: number }) => s + e.successes, 0)).toBe(4);
    expect(Object.keys(dump.endpoints[0].balancer).length).toBeGreaterThan(0);
  });

  test('SIGTERM: not ready at once, still accepting for shutdownDelayMs, then refusing; the slow in-flight request completes; exit 0', async () => {
    backends = [
      await startBackend('127.0.0.31', (req, res, b) => (req.url === '/slow' ? setTimeout(() => defaultHandler(req, res, b), 1_800) : defaultHandler(req, res, b))),
    ];
    proxy = await startProxy({ upstream: { port: 1, sources: [staticSource(backends)] }, shutdownDelayMs: 1_000, drainMs: 5000 });
    const p = proxy;
    const slow = request(p.host, p.port, '/slow');
    await waitFor(() => backends[0].seen.some((s) => s.url === '/slow'), 2000, 'slow request at the backend');
    const signalled = Date.now();
    p.child.kill('SIGTERM');
    await waitFor(async () => (await get(p.host, p.adminPort, '/readyz')).status === 503, 300, 'not ready at once');
    // During the delay Kubernetes is still removing the pod from endpoints: a new client must be served, and told to go.
    const during = await request(p.host, p.port, '/during');
    expect(during.status).toBe(200);
    expect(during.headers.connection).toBe('close');
    expect(Date.now() - signalled).toBeLessThan(1_000);
    const connect = () =>
      new Promise<string>((resolve) => {
        const s = net.connect(p.port, p.host);
        s.on('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
    await waitFor(async () => (await connect()) === 'ECONNREFUSED', 2_000, 'listener closed after the delay');
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(1_000);
    const r = await slow;
    expect(r.status).toBe(200);
    expect(r.headers.connection).toBe('close');
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toContain('"clean":true');
  });

  test('writes one JSON access log line per request only when logging.accessLog is on', async () => {
    backends = [await startBackend('127.0.0.31')];
    proxy = await startProxy({ upstream: { port: 1, sources: [staticSource(backends)] }, logging: { accessLog: true } });
    await request(proxy.host, proxy.port, '/logged?x=1', { headers: { 'x-request-id': 'abc-123' } });
    await waitFor(() => proxy!.stdout().includes('"msg":"access"'), 2000, 'access log line');
    const line = JSON.parse(proxy.stdout().split('\n').find((l) => l.includes('"msg":"access"'))!);
    expect(line).toMatchObject({ level: 'info', method: 'GET', path: '/logged?x=1', status: 200, tries: 1, requestId: 'abc-123' });
    expect(line.endpoint).toBe(`127.0.0.31:${backends[0].port}`);
    await proxy.stop('SIGKILL');

    proxy = await startProxy({ upstream: { port: 1, sources: [staticSource(backends)] } });
    await request(proxy.host, proxy.port, '/quiet');
    await sleep(100);
    expect(proxy.stdout()).not.toContain('"msg":"access"');
  });

  test('SIGINT also stops the proxy with exit 0', async () => {
    backends = [await startBackend('127.0.0.31')];
    proxy = await startProxy({ upstream: { port: 1, sources: [staticSource(backends)] } });
    await sleep(50);
    expect(await proxy.stop('SIGINT')).toBe(0);
  });
});
