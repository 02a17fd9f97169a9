/**
 * Issue 9: EndpointSlice discovery, against the API server double (real HTTPS, bearer token, list and watch).
 * Each scenario drives the double and checks what the proxy does with real traffic and its admin dump.
 */
import * as http from 'node:http';
import { Backend, cleanTmp, endpointsDump, get, request, RunningProxy, sleep, startBackend, startProxy, tmpFile, waitFor } from './helpers';
import { CA_FILE, KubeApiDouble, SliceEndpoint } from './k8s-double';

const NS = 'team-a';
const SVC = 'web';
const HOSTS = ['127.0.0.61', '127.0.0.62', '127.0.0.63', '127.0.0.64'];

describe('endpoint-slices discovery', () => {
  let api: KubeApiDouble;
  let backends: Backend[] = [];
  let proxy: RunningProxy | undefined;
  let port = 0;
  /** Arrival times (performance.now()) per backend host. */
  const arrivals = new Map<string, number[]>();

  beforeEach(async () => {
    api = await new KubeApiDouble(200).start();
    arrivals.clear();
    const handler = (req: http.IncomingMessage, res: http.ServerResponse, b: Backend) => {
      const list = arrivals.get(b.host) ?? [];
      list.push(performance.now());
      arrivals.set(b.host, list);
      const delay = Number(req.headers['x-delay-ms'] ?? 0);
      req.resume();
      setTimeout(() => {
        res.setHeader('x-backend', b.host);
        res.end(b.host);
      }, delay);
    };
    const first = await startBackend(HOSTS[0], handler);
    port = first.port;
    backends = [first, ...(await Promise.all(HOSTS.slice(1).map((h) => startBackend(h, handler, port))))];
  });

  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
    await Promise.all(backends.map((b) => b.close()));
    await api.close();
  });
  afterAll(cleanTmp);

  const eps = (...hosts: string[]): SliceEndpoint[] => hosts.map((address) => ({ address }));

  async function start(extra: object = {}): Promise<RunningProxy> {
    proxy = await startProxy(
      {
        algorithm: { kind: 'round-robin' },
        upstream: {
          port: 1,
          sources: [{ kind: 'endpoint-slices', service: SVC, namespace: NS, apiServer: api.url, tokenFile: tmpFile('token', `${api.token}\n`), caFile: CA_FILE, ...extra }],
        },
      } as never,
      { waitReady: false },
    );
    return proxy;
  }

  const ids = async (p: RunningProxy) => (await endpointsDump(p)).endpoints.map((e) => e.id).sort();
  const idsOf = (...hosts: string[]) => hosts.map((h) => `${h}:${port}`).sort();

  async function spreadOver(p: RunningProxy, n: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const r = await get(p.host, p.port, '/');
      const k = r.status === 200 ? String(r.headers['x-backend']) : `status ${r.status}`;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    return counts;
  }

  test('lists, then follows scale-up and scale-down; a removed endpoint gets no new request after the event', async () => {
    api.put(NS, SVC, 'web-abc', port, eps(HOSTS[0], HOSTS[1]));
    const p = await start();
    await waitFor(async () => (await get(p.host, p.adminPort, '/readyz')).status === 200, 5_000, 'ready');
    expect(await ids(p)).toEqual(idsOf(HOSTS[0], HOSTS[1]));
    api.put(NS, SVC, 'web-abc', port, eps(HOSTS[0], HOSTS[1], HOSTS[2]));
    await waitFor(async () => (await ids(p)).length === 3, 2_000, 'scale-up seen');
    expect(Object.keys(await spreadOver(p, 30)).sort()).toEqual([HOSTS[0], HOSTS[1], HOSTS[2]]);

    // Scale down under steady load: the time from the event to the last request the removed pod receives.
    let stop = false;
    const load = (async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
      const statuses: number[] = [];
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (!stop) statuses.push((await request(p.host, p.port, '/', { agent })).status);
        }),
      );
      agent.destroy();
      return statuses;
    })();
    await sleep(300);
    const t0 = performance.now();
    api.put(NS, SVC, 'web-abc', port, eps(HOSTS[0], HOSTS[1]));
    await sleep(700);
    stop = true;
    const statuses = await load;
    const last = Math.max(...(arrivals.get(HOSTS[2]) ?? [0]));
    const lagMs = last - t0;
    console.log(`endpoint-slices: last new request to the removed endpoint ${lagMs.toFixed(1)} ms after the watch event`);
    expect(lagMs).toBeLessThan(100);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await ids(p)).toEqual(idsOf(HOSTS[0], HOSTS[1]));
  });

  test('a pod terminating while serving finishes its in-flight request and gets no new one while others are ready', async () => {
    api.put(NS, SVC, 'web-abc', port, eps(HOSTS[0], HOSTS[1]));
    const p = await start();
    await waitFor(async () => (await ids(p)).length === 2, 5_000, 'two endpoints');
    // a slow request in flight on each pod
    const slow = [request(p.host, p.port, '/', { headers: { 'x-delay-ms': '800' } }), request(p.host, p.port, '/', { headers: { 'x-delay-ms': '800' } })];
    await sleep(100);
    api.put(NS, SVC, 'web-abc', port, [{ address: HOSTS[0] }, { address: HOSTS[1], ready: false, serving: true, terminating: true }]);
    await sleep(150);
    const before = (arrivals.get(HOSTS[1]) ?? []).length;
    const counts = await spreadOver(p, 20);
    expect(counts).toEqual({ [HOSTS[0]]: 20 });
    expect((arrivals.get(HOSTS[1]) ?? []).length).toBe(before);
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
    // when nothing ready is left, the terminating pod is the last resort
    api.put(NS, SVC, 'web-abc', port, [{ address: HOSTS[1], ready: false, serving: true, terminating: true }]);
    await waitFor(async () => (await ids(p)).length === 1, 2_000, 'only the terminating endpoint');
    expect(await spreadOver(p, 5)).toEqual({ [HOSTS[1]]: 5 });
  });

  test('a dropped watch resumes; a 410 Gone relists with nothing lost or doubled', async () => {
    api.put(NS, SVC, 'web-a', port, eps(HOSTS[0]));
    const p = await start();
    await waitFor(async () => (await ids(p)).length === 1, 5_000, 'first endpoint');
    api.dropWatches();
    api.put(NS, SVC, 'web-b', port, eps(HOSTS[1]));
    await waitFor(async () => (await ids(p)).length === 2, 5_000, 'resumed watch sees the new slice');
    // History gone and the watch dropped: the resume gets 410, and only a relist can see these changes.
    api.compact();
    api.dropWatches();
    api.remove(NS, 'web-a');
    api.put(NS, SVC, 'web-c', port, eps(HOSTS[2], HOSTS[3]));
    api.compact();
    await waitFor(async () => JSON.stringify(await ids(p)) === JSON.stringify(idsOf(HOSTS[1], HOSTS[2], HOSTS[3])), 5_000, 'relisted set');
    expect(api.requests.filter((r) => !r.includes('watch=1')).length).toBeGreaterThanOrEqual(2);
    expect(p.stdout() + p.stderr()).toMatch(/410 Gone/);
  });

  test('while the API server is down the last good set keeps serving, and the stale metric says so', async () => {
    api.put(NS, SVC, 'web-abc', port, eps(HOSTS[0], HOSTS[1]));
    const p = await start();
    await waitFor(async () => (await ids(p)).length === 2, 5_000, 'two endpoints');
    api.setDown(true);
    const stale = async () => Number(/^lb_discovery_stale_seconds (\S+)$/m.exec((await get(p.host, p.adminPort, '/metrics')).body)?.[1]);
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      expect(Object.keys(await spreadOver(p, 4)).sort()).toEqual([HOSTS[0], HOSTS[1]]);
      await sleep(1_000);
    }
    expect(await stale()).toBeGreaterThan(25);
    api.setDown(false);
    api.put(NS, SVC, 'web-abc', port, eps(HOSTS[0], HOSTS[1], HOSTS[2]));
    await waitFor(async () => (await ids(p)).length === 3, 35_000, 'back after the outage');
    expect(await stale()).toBe(0);
  }, 90_000);

  test('a slice split in two keeps every endpoint once, with no removal', async () => {
    api.put(NS, SVC, 'web-abc', port, eps(HOSTS[0], HOSTS[1], HOSTS[2]));
    const p = await start();
    await waitFor(async () => (await ids(p)).length === 3, 5_000, 'three endpoints');
    api.put(NS, SVC, 'web-def', port, eps(HOSTS[2], HOSTS[3]));
    api.put(NS, SVC, 'web-abc', port, eps(HOSTS[0], HOSTS[1]));
    await waitFor(async () => (await ids(p)).length === 4, 2_000, 'four endpoints');
    expect(await ids(p)).toEqual(idsOf(...HOSTS));
    expect(p.stdout()).not.toMatch(new RegExp(`endpoint removed.*${HOSTS[2].replace(/\./g, '\\.')}`));
  });

  test('slow start: a pod that joins under load reaches its fair share only after the window', async () => {
    api.put(NS, SVC, 'web-abc', port, eps(HOSTS[0], HOSTS[1]));
    proxy = await startProxy(
      {
        algorithm: { kind: 'round-robin' },
        slowStart: { windowMs: 3_000, aggression: 1, minWeightPercent: 10 },
        upstream: { port: 1, sources: [{ kind: 'endpoint-slices', service: SVC, namespace: NS, apiServer: api.url, tokenFile: tmpFile('token', api.token), caFile: CA_FILE }] },
      } as never,
      { waitReady: false },
    );
    const p = proxy;
    await waitFor(async () => (await ids(p)).length === 2, 5_000, 'two endpoints');
    const answers: { at: number; host: string }[] = [];
    let stop = false;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          const r = await request(p.host, p.port, '/', { agent });
          answers.push({ at: performance.now(), host: String(r.headers['x-backend']) });
        }
      }),
    );
    await sleep(300);
    const t0 = performance.now();
    api.put(NS, SVC, 'web-abc', port, eps(HOSTS[0], HOSTS[1], HOSTS[2]));
    await sleep(4_500);
    stop = true;
    await load;
    agent.destroy();
    const share = (from: number, to: number) => {
      const inWindow = answers.filter((a) => a.at >= t0 + from && a.at < t0 + to);
      return inWindow.filter((a) => a.host === HOSTS[2]).length / inWindow.length;
    };
    const shares = [share(0, 1_000), share(1_000, 2_000), share(2_000, 3_000), share(3_200, 4_500)];
    console.log(`slow start: the new pod's share per second of a 3 s window: ${shares.map((x) => x.toFixed(3)).join(', ')} (fair 0.333)`);
    expect(shares[0]).toBeLessThan(0.15);
    expect(shares[1]).toBeGreaterThan(shares[0]);
    expect(shares[2]).toBeGreaterThan(shares[1]);
    expect(Math.abs(shares[3] - 1 / 3)).toBeLessThan(0.05);
  });

  describe('zone-aware routing', () => {
    // 127.0.0.61/62 in zone-a (the proxy's, learned from its node), 127.0.0.63/64 in zone-b.
    const zoned = (): SliceEndpoint[] => HOSTS.map((address, i) => ({ address, zone: i < 2 ? 'zone-a' : 'zone-b' }));
    const startZoned = async (extraConfig: object = {}) => {
      proxy = await startProxy(
        {
          algorithm: { kind: 'round-robin' },
          zoneAware: {},
          outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 30_000 },
          retries: { attempts: 1 },
          upstream: { port: 1, sources: [{ kind: 'endpoint-slices', service: SVC, namespace: NS, apiServer: api.url, tokenFile: tmpFile('token', api.token), caFile: CA_FILE }] },
          ...extraConfig,
        } as never,
        { waitReady: false, env: { NODE_NAME: 'node-61' } },
      );
      await waitFor(async () => (await ids(proxy!)).length === 4, 5_000, 'four endpoints');
      return proxy;
    };
    const zoneMetric = async (p: RunningProxy, locality: string) =>
      Number(new RegExp(`^lb_upstream_rq_zone_total\\{locality="${locality}"\\} (\\S+)$`, 'm').exec((await get(p.host, p.adminPort, '/metrics')).body)?.[1] ?? 0);

    test('with headroom, every request stays in the proxy\'s zone (learned from the node it shares with a pod)', async () => {
      api.put(NS, SVC, 'web-abc', port, zoned());
      const p = await startZoned();
      const counts = await spreadOver(p, 40);
      expect(counts).toEqual({ [HOSTS[0]]: 20, [HOSTS[1]]: 20 });
      expect(await zoneMetric(p, 'local')).toBe(40);
      expect(await zoneMetric(p, 'remote')).toBe(0);
    });

    test('with half the local endpoints ejected, half the requests spill to the other zone', async () => {
      api.put(NS, SVC, 'web-abc', port, zoned());
      backends[1].server.removeAllListeners('request');
      backends[1].server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
        req.resume();
        res.writeHead(500).end();
      });
      const p = await startZoned();
      // eject 127.0.0.62: it answers 500
      await waitFor(
        async () => {
          await spreadOver(p, 4);
          return (await endpointsDump(p)).endpoints.some((e) => e.id.startsWith(HOSTS[1]) && e.ejected);
        },
        10_000,
        'local endpoint ejected',
      );
      const counts = await spreadOver(p, 300);
      const remote = (counts[HOSTS[2]] ?? 0) + (counts[HOSTS[3]] ?? 0);
      // headroom 1/2: half stays local (127.0.0.61), half goes to zone-b
      expect(remote / 300).toBeGreaterThan(0.4);
      expect(remote / 300).toBeLessThan(0.6);
      expect(counts[HOSTS[1]] ?? 0).toBe(0);
    });

    test('hints.forZones decide what is local when the slices carry them', async () => {
      const eps: SliceEndpoint[] = HOSTS.map((address, i) => ({ address, zone: i < 2 ? 'zone-a' : 'zone-b' }));
      // the proxy is told its zone outright; the slices hint 127.0.0.63 for zone-a
      api.put(NS, SVC, 'web-abc', port, eps, { [HOSTS[2]]: ['zone-a'], [HOSTS[0]]: ['zone-b'], [HOSTS[1]]: ['zone-b'], [HOSTS[3]]: ['zone-b'] });
      const p = await startZoned({ zoneAware: { zone: 'zone-a' } });
      expect(await spreadOver(p, 10)).toEqual({ [HOSTS[2]]: 10 });
      // new hints on the same endpoints take effect without any membership change
      api.put(NS, SVC, 'web-abc', port, eps, { [HOSTS[3]]: ['zone-a'], [HOSTS[0]]: ['zone-b'], [HOSTS[1]]: ['zone-b'], [HOSTS[2]]: ['zone-b'] });
      await waitFor(async () => (await get(p.host, p.port, '/')).headers['x-backend'] === HOSTS[3], 2_000, 'the new hints');
      expect(await spreadOver(p, 10)).toEqual({ [HOSTS[3]]: 10 });
    });
  });

  test('a wrong token is refused by the API server: the proxy says so and does not become ready', async () => {
    api.put(NS, SVC, 'web-abc', port, eps(HOSTS[0]));
    proxy = await startProxy(
      {
        upstream: { port: 1, sources: [{ kind: 'endpoint-slices', service: SVC, namespace: NS, apiServer: api.url, tokenFile: tmpFile('token', 'wrong'), caFile: CA_FILE }] },
      } as never,
      { waitReady: false },
    );
    await waitFor(() => /API server answered 401: Unauthorized/.test(proxy!.stdout() + proxy!.stderr()), 5_000, 'the 401 in the log');
    expect((await get(proxy.host, proxy.adminPort, '/readyz')).status).toBe(503);
  });
});
