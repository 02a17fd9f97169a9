/**
 * Fault suite, leaks: many requests on new connections, then many on keep-alive connections, through one proxy. What
 * a request or a connection leaves behind (a listener, a timer, a parser, a map entry) shows as RSS that does not come
 * back, so RSS after the run must stay near RSS after a warm-up.
 */
import * as net from 'node:net';
import { ChildServer, rssMb, spawnFastBackend } from './fault-helpers';
import { cleanTmp, RunningProxy, sleep, startProxy } from './helpers';

const BACKEND_HOST = '127.0.0.170';
/** Client source addresses for the new-connection phase, so the 4-tuples of closed connections are not reused at once. */
const CLIENT_HOSTS = Array.from({ length: 8 }, (_, i) => `127.0.0.${171 + i}`);
const NEW_CONNECTIONS = Number(process.env.LEAK_NEW ?? 200_000);
const KEEP_ALIVE = Number(process.env.LEAK_KEEPALIVE ?? 200_000);
const WARM_UP = 10_000;
const GROWTH_BOUND_MB = 30;
const REQUEST = Buffer.from('GET /leak HTTP/1.1\r\nHost: leak.test\r\n\r\n');
const REQUEST_CLOSE = Buffer.from('GET /leak HTTP/1.1\r\nHost: leak.test\r\nConnection: close\r\n\r\n');

interface Tally {
  ok: number;
  bad: string[];
}

/** `total` requests, each on a new connection (Connection: close), `concurrency` at a time. */
async function onNewConnections(host: string, port: number, total: number, concurrency: number, t: Tally): Promise<void> {
  let started = 0;
  const one = (localAddress: string) =>
    new Promise<void>((resolve) => {
      const s = net.connect({ host, port, localAddress });
      let got = '';
      s.setNoDelay(true);
      s.on('connect', () => s.write(REQUEST_CLOSE));
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('error', (e) => {
        if (t.bad.length < 10) t.bad.push(`error ${e.message}`);
      });
      s.on('close', () => {
        if (got.startsWith('HTTP/1.1 200 ') && got.endsWith('\r\n\r\nok\n')) t.ok++;
        else if (t.bad.length < 10) t.bad.push(JSON.stringify(got.slice(0, 200)));
        resolve();
      });
    });
  const lane = async (i: number) => {
    while (started < total) {
      started++;
      await one(CLIENT_HOSTS[i % CLIENT_HOSTS.length]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => lane(i)));
}

/** `total` requests over `conns` keep-alive connections, one request at a time on each. */
async function onKeepAlive(host: string, port: number, total: number, conns: number, t: Tally): Promise<void> {
  let started = 0;
  const lane = () =>
    new Promise<void>((resolve) => {
      const s = net.connect({ host, port });
      s.setNoDelay(true);
      let buf = '';
      const next = () => {
        if (started >= total) {
          s.end();
          return;
        }
        started++;
        s.write(REQUEST);
      };
      s.on('connect', next);
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const cl = /\r\ncontent-length: (\d+)/i.exec(buf.slice(0, end));
          const len = cl ? Number(cl[1]) : 0;
          if (buf.length < end + 4 + len) return;
          if (buf.startsWith('HTTP/1.1 200 ') && buf.slice(end + 4, end + 4 + len) === 'ok\n') t.ok++;
          else if (t.bad.length < 10) t.bad.push(JSON.stringify(buf.slice(0, 200)));
          buf = buf.slice(end + 4 + len);
          next();
        }
      });
      s.on('error', (e) => {
        if (t.bad.length < 10) t.bad.push(`error ${e.message}`);
      });
      s.on('close', () => resolve());
    });
  await Promise.all(Array.from({ length: conns }, lane));
}

/** RSS once the proxy has been idle a moment (what is garbage has had a chance to go). */
async function settledRss(pid: number): Promise<number> {
  await sleep(1_000);
  return rssMb(pid);
}

describe('fault suite: leaks', () => {
  let backend: ChildServer | undefined;
  let proxy: RunningProxy | undefined;

  afterAll(async () => {
    await proxy?.stop('SIGKILL');
    await backend?.kill();
    cleanTmp();
  });

  test(`${NEW_CONNECTIONS / 1000}k requests on new connections, then ${KEEP_ALIVE / 1000}k on keep-alive, leave RSS within ${GROWTH_BOUND_MB} MB of the warm-up`, async () => {
    backend = await spawnFastBackend(BACKEND_HOST);
    const p = (proxy = await startProxy(
      { upstream: { port: backend.port, sources: [{ kind: 'static', endpoints: [{ address: BACKEND_HOST }] }] } },
      { env: { NODE_OPTIONS: '--max-semi-space-size=2' } },
    ));
    const pid = p.child.pid!;
    const warm: Tally = { ok: 0, bad: [] };
    await onNewConnections(p.host, p.port, WARM_UP / 2, 16, warm);
    await onKeepAlive(p.host, p.port, WARM_UP / 2, 16, warm);
    const start = await settledRss(pid);

    const fresh: Tally = { ok: 0, bad: [] };
    let t0 = Date.now();
    await onNewConnections(p.host, p.port, NEW_CONNECTIONS, 32, fresh);
    const freshMs = Date.now() - t0;
    const afterFresh = await settledRss(pid);

    const kept: Tally = { ok: 0, bad: [] };
    t0 = Date.now();
    await onKeepAlive(p.host, p.port, KEEP_ALIVE, 32, kept);
    const keptMs = Date.now() - t0;
    const end = await settledRss(pid);
    console.log(
      `leak check: warm-up RSS ${start.toFixed(1)} MiB; ${fresh.ok} new-connection requests in ${freshMs} ms ` +
        `(${((fresh.ok / freshMs) * 1000).toFixed(0)}/s) -> ${afterFresh.toFixed(1)} MiB; ${kept.ok} keep-alive requests in ${keptMs} ms ` +
        `(${((kept.ok / keptMs) * 1000).toFixed(0)}/s) -> ${end.toFixed(1)} MiB`,
    );

    expect(warm.bad).toEqual([]);
    expect(fresh.bad).toEqual([]);
    expect(kept.bad).toEqual([]);
    expect(fresh.ok).toBe(NEW_CONNECTIONS);
    expect(kept.ok).toBe(KEEP_ALIVE);
    expect(afterFresh - start).toBeLessThan(GROWTH_BOUND_MB);
    expect(end - start).toBeLessThan(GROWTH_BOUND_MB);
  }, 150_000);
});
