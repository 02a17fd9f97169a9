/**
 * TCP (L4) mode through the real bundle: connections balanced per algorithm, connect retry and timeout, health by TCP
 * connect. Streams (half-close, idle, backpressure) and the drain are in tcp-streams.test.ts.
 */
import { cleanTmp, get, waitFor } from './helpers';
import {
  Client,
  connectClient,
  inFlightOf,
  metric,
  oneConnection,
  startBlackhole,
  startTcpBackend,
  startTcpProxy,
  TcpBackend,
  TcpProxy,
  tcpSource,
} from './tcp-helpers';

const HOSTS = ['127.0.0.41', '127.0.0.42', '127.0.0.43'];

describe('TCP mode: balancing and failures', () => {
  let backends: TcpBackend[] = [];
  let proxy: TcpProxy | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
    await Promise.all(cleanups.splice(0).map((c) => c()));
  });
  afterAll(cleanTmp);

  async function setup(extra: object): Promise<TcpProxy> {
    backends = await Promise.all(HOSTS.map((h) => startTcpBackend(h)));
    proxy = await startTcpProxy({ upstream: { port: 1, sources: [tcpSource(backends)] }, ...extra });
    return proxy;
  }

  async function spread(p: TcpProxy, n: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const name = await oneConnection(p.port);
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }

  test('round-robin gives each of 3 backends exactly 3 of 9 connections', async () => {
    const p = await setup({ algorithm: { kind: 'round-robin' } });
    expect(await spread(p, 9)).toEqual({ [HOSTS[0]]: 3, [HOSTS[1]]: 3, [HOSTS[2]]: 3 });
    expect(await metric(p, 'lb_downstream_cx_total{result="proxied"}')).toBe(9);
    await waitFor(async () => (await metric(p, 'lb_downstream_cx_active')) === 0, 2_000, 'no open connection');
    expect(await metric(p, 'lb_downstream_cx_bytes_total{direction="tx"}')).toBe(9 * '127.0.0.4x\n'.length);
  });

  test.each([
    ['random', { kind: 'random' }],
    ['power-of-two-choices', { kind: 'power-of-two-choices' }],
    ['least-connections', { kind: 'least-connections' }],
    ['weighted-round-robin', { kind: 'weighted-round-robin' }],
    ['peak-ewma', { kind: 'peak-ewma' }],
  ])('%s spreads 30 open connections over all 3 backends', async (_name, algorithm) => {
    const p = await setup({ algorithm });
    // The connections stay open, as a pool of clients' would: the algorithms that weigh load (least connections,
    // P2C, peak EWMA) see them. One connection at a time, peak EWMA may rightly keep to the fastest backend.
    const held: Client[] = [];
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const c = connectClient(p.port);
      held.push(c);
      const name = await c.greeting;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    for (const c of held) c.socket.destroy();
    expect(Object.keys(counts).sort()).toEqual(HOSTS);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(30);
  });

  test('consistent-hash on source-ip keeps each client address on one backend and spreads the addresses', async () => {
    const p = await setup({ algorithm: { kind: 'consistent-hash', key: { source: 'source-ip' } } });
    const seen = new Set<string>();
    for (let i = 1; i <= 24; i++) {
      const from = `127.0.1.${i}`;
      const first = await oneConnection(p.port, from);
      expect(await oneConnection(p.port, from)).toBe(first);
      seen.add(first);
    }
    expect(seen.size).toBeGreaterThanOrEqual(2);
  });

  test('least-connections counts open connections: new ones go to the backend whose connections closed', async () => {
    const p = await setup({ algorithm: { kind: 'least-connections' } });
    const held: { c: Client; name: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const c = connectClient(p.port);
      held.push({ c, name: await c.greeting });
    }
    const per = (name: string) => held.filter((h) => h.name === name).length;
    expect(HOSTS.map(per)).toEqual([2, 2, 2]);
    const inFlight = await inFlightOf(p);
    expect(Object.values(inFlight)).toEqual([2, 2, 2]);
    // Free the two connections of the middle backend; the others stay open.
    const freed = held.filter((h) => h.name === HOSTS[1]);
    for (const h of freed) h.c.socket.end();
    await Promise.all(freed.map((h) => h.c.closed));
    const id = `${HOSTS[1]}:${backends[1].port}`;
    await waitFor(async () => (await inFlightOf(p))[id] === 0, 2_000, 'the freed backend at 0 open connections');
    const next = [connectClient(p.port), connectClient(p.port)];
    expect(await Promise.all(next.map((c) => c.greeting))).toEqual([HOSTS[1], HOSTS[1]]);
    for (const c of [...held.map((h) => h.c), ...next]) c.socket.destroy();
  });

  test('a backend whose listener closed: every new connection still reaches another backend (connect retried)', async () => {
    const p = await setup({ algorithm: { kind: 'round-robin' } });
    await backends[1].stopListening();
    const counts = await spread(p, 12);
    expect(counts[HOSTS[1]]).toBeUndefined();
    expect((counts[HOSTS[0]] ?? 0) + (counts[HOSTS[2]] ?? 0)).toBe(12);
    expect(await metric(p, 'lb_upstream_rq_retry_total')).toBeGreaterThanOrEqual(1);
    expect(await metric(p, 'lb_upstream_failure_total{kind="connect-failure"}')).toBeGreaterThanOrEqual(1);
    expect(await metric(p, 'lb_downstream_cx_total{result="proxied"}')).toBe(12);
  });

  test('a connect that times out goes to another endpoint; with no other endpoint the client is reset', async () => {
    const hole = await startBlackhole();
    cleanups.push(hole.close);
    backends = [await startTcpBackend(HOSTS[0])];
    const endpoints = [{ address: hole.host, port: hole.port }, { address: backends[0].host, port: backends[0].port }];
    proxy = await startTcpProxy({
      upstream: { port: 1, sources: [{ kind: 'static', endpoints }] },
      algorithm: { kind: 'round-robin' },
      timeouts: { connectMs: 200 },
    });
    const p = proxy;
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = Date.now();
      expect(await oneConnection(p.port)).toBe(HOSTS[0]);
      waits.push(Date.now() - t0);
    }
    // Round robin sends every other first try to the blackhole, which costs the connect timeout before the retry.
    expect(waits.filter((w) => w >= 190).length).toBeGreaterThanOrEqual(1);
    expect(await metric(p, 'lb_upstream_failure_total{kind="connect-failure"}')).toBeGreaterThanOrEqual(1);
    await p.stop();

    proxy = await startTcpProxy({
      upstream: { port: 1, sources: [{ kind: 'static', endpoints: [endpoints[0]] }] },
      timeouts: { connectMs: 200 },
    });
    const t0 = Date.now();
    const c = connectClient(proxy.port);
    expect(await c.closed).toBe('ECONNRESET');
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(3_000);
    expect(c.data()).toBe('');
    expect(await metric(proxy, 'lb_downstream_cx_total{result="connect-failure"}')).toBe(1);
  });

  test('health by TCP connect marks a closed port unhealthy, and no connection is sent there', async () => {
    backends = await Promise.all(HOSTS.slice(0, 2).map((h) => startTcpBackend(h)));
    const closed = await startTcpBackend(HOSTS[2]);
    await closed.close();
    proxy = await startTcpProxy({
      upstream: { port: 1, sources: [tcpSource([...backends, closed])] },
      algorithm: { kind: 'round-robin' },
      healthCheck: { intervalMs: 100, timeoutMs: 50, unhealthyThreshold: 1, path: '/never-requested' },
    });
    const p = proxy;
    const closedId = `${HOSTS[2]}:${closed.port}`;
    await waitFor(async () => {
      const r = await fetchEndpoints(p);
      return r.find((e) => e.id === closedId)?.healthy === false && r.filter((e) => e.healthy).length === 2;
    }, 3_000, 'the closed port unhealthy, the two live ones healthy');
    const retriesBefore = await metric(p, 'lb_upstream_rq_retry_total');
    for (let i = 0; i < 6; i++) expect([HOSTS[0], HOSTS[1]]).toContain(await oneConnection(p.port));
    expect(await metric(p, 'lb_upstream_rq_retry_total')).toBe(retriesBefore);
    // The checks are bare connects: the live backends saw connections that carried no byte.
    expect(backends[0].accepted + backends[1].accepted).toBeGreaterThan(6);
  });

  test('no eligible endpoint: the client is reset at once and counted as no-endpoint', async () => {
    const gone = await startTcpBackend(HOSTS[0]);
    await gone.close();
    proxy = await startTcpProxy(
      {
        upstream: { port: 1, sources: [tcpSource([gone])] },
        healthCheck: { intervalMs: 100, timeoutMs: 50, unhealthyThreshold: 1 },
        panicThresholdPercent: 0,
      },
      { waitReady: false },
    );
    const p = proxy;
    await waitFor(async () => (await fetchEndpoints(p)).every((e) => !e.healthy), 3_000, 'the endpoint unhealthy');
    const c = connectClient(p.port);
    expect(await c.closed).toBe('ECONNRESET');
    expect(await metric(p, 'lb_downstream_cx_total{result="no-endpoint"}')).toBe(1);
    expect(await metric(p, 'lb_pick_none_total')).toBe(1);
  });
});

async function fetchEndpoints(p: TcpProxy): Promise<{ id: string; healthy: boolean }[]> {
  return (JSON.parse((await get(p.host, p.adminPort, '/admin/endpoints')).body) as { endpoints: { id: string; healthy: boolean }[] }).endpoints;
}
