/**
 * Fault suite: what the proxy does when a backend dies, when the proxy itself is told to stop, and when a backend
 * answers with broken HTTP. Backends that must die run as child processes and get SIGKILL: no goodbye on any socket.
 * Every request is bounded by a timeout, so a hang fails the test instead of stalling the run.
 */
import * as http from 'node:http';
import { ChildServer, ok, RawBackend, RawClient, RawReply, spawnHttpBackend, within } from './fault-helpers';
import {
  Backend,
  cleanTmp,
  defaultHandler,
  get,
  request,
  RunningProxy,
  sleep,
  startBackend,
  startProxy,
  staticSource,
  waitFor,
} from './helpers';

const KILL_HOSTS = ['127.0.0.141', '127.0.0.142', '127.0.0.143'];
const DRAIN_HOST = '127.0.0.144';
const RAW_HOST = '127.0.0.145';

/** A 502/503 body that says why, in the proxy's words: never an empty body or a bare status. */
const SAYS_WHY = /^(upstream (reset|connect error|protocol error|timeout)|no healthy upstream): .{10,}/;

describe('fault suite: a backend SIGKILLed under load', () => {
  let backends: ChildServer[] = [];
  let proxy: RunningProxy | undefined;

  afterEach(async () => {
    await proxy?.stop('SIGKILL');
    proxy = undefined;
    await Promise.all(backends.map((b) => b.kill()));
    backends = [];
  });
  afterAll(cleanTmp);

  test('costs no failed GET on keep-alive connections, and a POST in flight on it gets a clear 502, not a hang', async () => {
    backends = await Promise.all(KILL_HOSTS.map((h) => spawnHttpBackend(h)));
    const p = (proxy = await startProxy({
      upstream: { port: 1, sources: [{ kind: 'static', endpoints: backends.map((b) => ({ address: b.host, port: b.port })) }] },
      timeouts: { requestMs: 5_000 },
    }));
    const victim = backends[1];
    // Six POSTs that the backends hold for 2 s, sent before the GET load: round robin puts two on each backend.
    const posts = Array.from({ length: 6 }, (_, i) =>
      within(request(p.host, p.port, `/order/${i}?ms=2000`, { method: 'POST', body: `order ${i}` }), 6_000, `POST ${i}`).then(
        (r) => ({ i, status: r.status, body: r.body }),
        (e: Error) => ({ i, status: 0, body: e.message }),
      ),
    );
    const bodiesSeen = () => backends.reduce((n, b) => n + b.events.filter((e) => e.event === 'body').length, 0);
    await waitFor(() => bodiesSeen() === 6, 3_000, 'every POST at a backend');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const gets: number[] = [];
    const failures: string[] = [];
    let stop = false;
    // Each GET takes 5 ms at the backend, so a few are always in flight on the victim when it dies.
    const worker = async () => {
      while (!stop) {
        const r = await within(request(p.host, p.port, '/?ms=5', { agent }), 5_000, 'GET').catch((e: Error) => ({ status: 0, body: e.message }));
        gets.push(r.status);
        if (r.status !== 200) failures.push(`${r.status} ${r.body.trim()}`);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await sleep(300);
    const before = gets.length;
    await victim.kill();
    await sleep(1_000);
    stop = true;
    await Promise.all(workers);
    agent.destroy();
    const done = await Promise.all(posts);
    const onVictim = new Set(victim.events.filter((e) => e.event === 'body').map((e) => String(e.url)));
    const metrics = (await get(p.host, p.adminPort, '/metrics')).body;
    const retries = Number(/lb_upstream_rq_retry_total (\d+)/.exec(metrics)?.[1] ?? 0);
    console.log(`SIGKILL under load: ${gets.length} GETs (${gets.length - before} after the kill), ${retries} retries; POSTs: ${done.map((d) => `${d.status} ${d.body.trim()}`).join(' | ')}`);

    expect(failures).toEqual([]);
    expect(before).toBeGreaterThan(50);
    expect(gets.length - before).toBeGreaterThan(50);
    expect(retries).toBeGreaterThan(0);
    expect(onVictim.size).toBe(2);
    for (const d of done) {
      if (onVictim.has(`/order/${d.i}?ms=2000`)) {
        expect([502, 503]).toContain(d.status);
        expect(d.body).toMatch(SAYS_WHY);
      } else {
        expect({ i: d.i, status: d.status, body: d.body }).toEqual({ i: d.i, status: 200, body: expect.stringMatching(/^127\.0\.0\.14[13] 7\n$/) });
      }
    }
  }, 30_000);
});

describe('fault suite: SIGTERM with slow requests in flight', () => {
  let backends: Backend[] = [];
  let proxy: RunningProxy | undefined;

  afterEach(async () => {
    await proxy?.stop('SIGKILL');
    proxy = undefined;
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
  });
  afterAll(cleanTmp);

  test('every in-flight request finishes with 200, /readyz turns 503 at once, and the process exits 0', async () => {
    const slow = (req: http.IncomingMessage, res: http.ServerResponse, b: Backend) => {
      if (req.url === '/slow-head') return void setTimeout(() => defaultHandler(req, res, b), 1_200);
      if (req.url === '/slow-body') {
        // Ten chunks over 1.2 s: the answer is still streaming when the drain starts.
        res.writeHead(200, { 'content-type': 'text/plain' });
        let i = 0;
        const t = setInterval(() => {
          res.write(`part ${i}\n`);
          if (++i === 10) {
            clearInterval(t);
            res.end();
          }
        }, 120);
        return;
      }
      if (req.url === '/slow-upload') {
        let n = 0;
        req.on('data', (d: Buffer) => (n += d.length));
        req.on('end', () => res.end(`got ${n}\n`));
        return;
      }
      defaultHandler(req, res, b);
    };
    backends = [await startBackend(DRAIN_HOST, slow)];
    const p = (proxy = await startProxy({ upstream: { port: 1, sources: [staticSource(backends)] }, shutdownDelayMs: 300, drainMs: 5_000 }));
    const heads = Array.from({ length: 5 }, () => within(request(p.host, p.port, '/slow-head'), 6_000, 'slow head'));
    const bodies = Array.from({ length: 5 }, () => within(request(p.host, p.port, '/slow-body'), 6_000, 'slow body'));
    // An upload that is still sending when SIGTERM arrives: 8 x 1 KiB, 150 ms apart.
    const upload = within(slowUpload(p, 8, 150), 6_000, 'slow upload');
    await waitFor(() => backends[0].seen.length >= 11, 2_000, 'every slow request at the backend');

    const signalled = Date.now();
    p.child.kill('SIGTERM');
    await waitFor(async () => (await get(p.host, p.adminPort, '/readyz')).status === 503, 1_000, '/readyz 503');
    const notReadyMs = Date.now() - signalled;
    const replies = await Promise.all([...heads, ...bodies, upload]);
    const code = await within(p.exited, 8_000, 'proxy exit');
    const exitMs = Date.now() - signalled;
    console.log(`SIGTERM: /readyz 503 after ${notReadyMs} ms, exit ${code} after ${exitMs} ms`);

    expect(notReadyMs).toBeLessThan(200);
    expect(replies.map((r) => r.status)).toEqual(Array(11).fill(200));
    for (const r of replies.slice(0, 5)) expect(r.body).toBe(`${DRAIN_HOST}\n`);
    for (const r of replies.slice(5, 10)) expect(r.body).toBe(Array.from({ length: 10 }, (_, i) => `part ${i}\n`).join(''));
    expect(replies[10].body).toBe(`got ${8 * 1024}\n`);
    expect(code).toBe(0);
    expect(p.stdout()).toContain('"clean":true');
  }, 20_000);
});

/** A POST whose body goes out in `n` 1 KiB writes `gapMs` apart (chunked). */
function slowUpload(p: RunningProxy, n: number, gapMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: p.host, port: p.port, path: '/slow-upload', method: 'POST', agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    let i = 0;
    const t = setInterval(() => {
      req.write(Buffer.alloc(1024, 0x61));
      if (++i === n) {
        clearInterval(t);
        req.end();
      }
    }, gapMs);
  });
}

// ---- malformed backend responses ----

const REQUEST_MS = 1_000;

interface MalformedCase {
  readonly name: string;
  readonly reply: RawReply;
  /** The status the client must get, and what its body must name. */
  readonly status: 502 | 504;
  readonly says: RegExp;
  /** Longest time to the answer. */
  readonly withinMs: number;
}

const HUGE_HEAD = Array.from({ length: 2_000 }, (_, i) => `x-filler-${String(i).padStart(4, '0')}: ${'v'.repeat(24)}\r\n`).join('');

const MALFORMED: MalformedCase[] = [
  {
    name: 'two different Content-Length headers',
    reply: { send: ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'], poisoned: true },
    status: 502,
    says: /content-length/i,
    withinMs: 500,
  },
  {
    name: 'Content-Length and Transfer-Encoding together',
    reply: { send: ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'], poisoned: true },
    status: 502,
    says: /content-length|transfer-encoding/i,
    withinMs: 500,
  },
  {
    name: 'a status line that is not HTTP',
    reply: { send: ['HTTP/1.1 2xx Fine\r\nContent-Length: 2\r\n\r\nok'], poisoned: true },
    status: 502,
    says: /status/i,
    withinMs: 500,
  },
  {
    name: 'a head and no body byte before close, with Content-Length 100',
    reply: { send: ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', { pauseMs: 50 }], close: 'end' },
    status: 502,
    says: /closed the connection.*body/,
    withinMs: 500,
  },
  {
    name: '100 Continue, then silence',
    reply: { send: ['HTTP/1.1 100 Continue\r\n\r\n'], poisoned: true },
    status: 504,
    says: new RegExp(`no response head within ${REQUEST_MS} ms`),
    withinMs: REQUEST_MS + 1_000,
  },
  {
    name: `a head over 64 KiB (${HUGE_HEAD.length} bytes of headers)`,
    reply: { send: [`HTTP/1.1 200 OK\r\n${HUGE_HEAD}Content-Length: 2\r\n\r\nok`], poisoned: true },
    status: 502,
    says: /head.*(larger than|too large|too long)/i,
    withinMs: 500,
  },
  {
    name: 'total silence',
    reply: { send: [], poisoned: true },
    status: 504,
    says: new RegExp(`no response head within ${REQUEST_MS} ms`),
    withinMs: REQUEST_MS + 1_000,
  },
];

describe('fault suite: malformed backend responses', () => {
  let backend: RawBackend;
  let proxy: RunningProxy;

  beforeAll(async () => {
    backend = await new RawBackend(RAW_HOST, (target) => {
      const c = MALFORMED.find((m) => target === `/case/${encodeURIComponent(m.name)}`);
      if (c) return c.reply;
      if (target === '/short-body') return { send: ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b'], close: 'end' };
      if (target === '/close-delimited') {
        return { send: ['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n', CLOSE_BODY.subarray(0, 40_000), { pauseMs: 50 }, CLOSE_BODY.subarray(40_000)], close: 'end' };
      }
      return { send: [ok(`healthy ${target}\n`)] };
    }).start();
    // One endpoint, so nothing is retried elsewhere; ejection off, so a run of failures does not hide the endpoint.
    proxy = await startProxy({
      upstream: { port: backend.port, sources: [{ kind: 'static', endpoints: [{ address: RAW_HOST }] }] },
      timeouts: { requestMs: REQUEST_MS, idleMs: 2_000 },
      outlierDetection: { consecutiveFailures: 1_000 },
    });
  });
  afterAll(async () => {
    await proxy?.stop('SIGKILL');
    await backend?.stop();
    cleanTmp();
  });

  test.each(MALFORMED.map((c) => [c.status, c.name, c] as const))('fails with %i and says why when the backend sends %s', async (_s, _n, c) => {
    const target = `/case/${encodeURIComponent(c.name)}`;
    const client = await RawClient.connect(proxy.host, proxy.port);
    try {
      const t0 = Date.now();
      await client.send(`GET ${target} HTTP/1.1\r\nHost: faults.test\r\n\r\n`);
      const r = await client.next(c.withinMs + 1_000);
      const ms = Date.now() - t0;
      expect({ status: r.status, body: r.body.toString('latin1') }).toEqual({ status: c.status, body: expect.stringMatching(c.says) });
      expect(r.body.toString('latin1')).not.toMatch(/^upstream reset: the endpoint closed the connection before answering/);
      expect(ms).toBeLessThan(c.withinMs);
      if (c.status === 504) expect(ms).toBeGreaterThanOrEqual(REQUEST_MS - 50);
      // The same client connection, and the pool behind it, serve the next request.
      await client.send('GET /next HTTP/1.1\r\nHost: faults.test\r\n\r\n');
      const next = await client.next(2_000);
      expect({ status: next.status, body: next.body.toString() }).toEqual({ status: 200, body: 'healthy /next\n' });
    } finally {
      client.destroy();
    }
    // A connection that carried a broken answer is never given another request.
    expect(backend.misuse.filter((m) => m.after === target)).toEqual([]);
  });

  test('a body cut short by a close reaches the client as a broken response, never as a complete one', async () => {
    const client = await RawClient.connect(proxy.host, proxy.port);
    try {
      await client.send('GET /short-body HTTP/1.1\r\nHost: faults.test\r\n\r\n');
      expect(await client.waitClosed(2_000)).toBe(true);
      const raw = client.received.toString('latin1');
      const bodyStart = raw.indexOf('\r\n\r\n');
      // Either a 502 (nothing of the answer had left) or the 200's head with fewer than 100 body bytes, then a close.
      if (/^HTTP\/1\.1 502/.test(raw)) expect(raw).toMatch(/closed the connection/);
      else {
        expect(raw).toMatch(/^HTTP\/1\.1 200 /);
        expect(raw).toMatch(/\r\ncontent-length: 100\r\n/i);
        expect(raw.length - bodyStart - 4).toBeLessThan(100);
      }
    } finally {
      client.destroy();
    }
    const r = await within(request(proxy.host, proxy.port, '/after-short'), 2_000, 'next request');
    expect(r.status).toBe(200);
  });

  test('a response with neither Content-Length nor chunked is read to the close and reaches the client whole', async () => {
    const client = await RawClient.connect(proxy.host, proxy.port);
    try {
      await client.send('GET /close-delimited HTTP/1.1\r\nHost: faults.test\r\n\r\n');
      const r = await client.next(3_000);
      expect(r.status).toBe(200);
      expect(client.closed).toBe(true);
      expect(r.head).toMatch(/\r\nconnection: close/i);
      expect(r.body.equals(CLOSE_BODY)).toBe(true);
    } finally {
      client.destroy();
    }
  });
});

const CLOSE_BODY = Buffer.from(Array.from({ length: 2_000 }, (_, i) => `line ${String(i).padStart(5, '0')} of a close-delimited body\n`).join(''));
