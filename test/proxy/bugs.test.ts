/**
 * One test per bug that an independent fault run found in the node:http + undici data plane (issue 6, "Bugs an
 * independent fault run found"). Each fails against that build (LB_PROXY_BUNDLE=<old>/lib/proxy.bundle.js) and
 * passes against this one. The SIGTERM shutdown delay has its test in lifecycle.test.ts.
 */
import { ok, RawBackend, RawClient, RawReply, within } from './fault-helpers';
import { Backend, cleanTmp, defaultHandler, endpointsDump, get, Handler, request, RunningProxy, sleep, startBackend, startProxy } from './helpers';
import { endpointBlame, exchange, freePort, RecordingBackend, show, Step } from './hostile-helpers';

const H = 'Host: bugs.test\r\n';

/** The slow chunked answer RecordingBackend gives a /stream/ target, as chunked bytes and decoded. */
const STREAMED = Array.from({ length: 6 }, (_, i) => `6\r\npart ${i}\r\n`).join('') + '0\r\n\r\n';
const STREAMED_DECODED = Array.from({ length: 6 }, (_, i) => `part ${i}`).join('');

describe('bugs of the node:http data plane', () => {
  let proxy: RunningProxy | undefined;
  let recorder: RecordingBackend | undefined;
  let raw: RawBackend | undefined;
  let backends: Backend[] = [];

  afterEach(async () => {
    await proxy?.stop('SIGKILL');
    proxy = undefined;
    await recorder?.stop();
    recorder = undefined;
    await raw?.stop();
    raw = undefined;
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
  });
  afterAll(cleanTmp);

  const only = (host: string, port: number) => ({ port, sources: [{ kind: 'static' as const, endpoints: [{ address: host }] }] });

  async function withRecorder(host: string, extra: object = {}): Promise<RunningProxy> {
    recorder = new RecordingBackend(host);
    await recorder.start();
    proxy = await startProxy({ upstream: only(host, recorder.port), ...extra } as never);
    return proxy;
  }

  async function withRaw(host: string, answer: (target: string, head: string) => RawReply, extra: object = {}): Promise<RunningProxy> {
    raw = await new RawBackend(host, answer).start();
    proxy = await startProxy({ upstream: only(host, raw.port), outlierDetection: { consecutiveFailures: 1_000 }, ...extra } as never);
    return proxy;
  }

  test('a chunked upload that runs longer than requestMs is forwarded whole: slow chunks, each gap under idleMs', async () => {
    // The old build set node:http's requestTimeout from requestMs (with headersMs no larger) and cut the upload with 408.
    const p = await withRecorder('127.0.0.150', { timeouts: { requestMs: 1_000, headersMs: 1_000, idleMs: 1_500 } });
    const chunks = Array.from({ length: 10 }, (_, i) => `chunk-${i};`);
    const steps: Step[] = [`POST /upload HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`];
    for (const c of chunks) steps.push({ pauseMs: 250 }, `${c.length.toString(16)}\r\n${c}\r\n`);
    steps.push('0\r\n\r\n');
    const x = await exchange(p.host, p.port, steps, { maxMs: 6_000 });
    expect(x.responses.map((r) => r.status)).toEqual([200]);
    expect(x.responses[0].head).toMatch(/\r\nx-recorder: 1/i);
    const got = recorder!.requests.filter((r) => r.target === '/upload');
    expect(got).toHaveLength(1);
    expect(got[0].complete).toBe(true);
    expect(got[0].body.toString()).toBe(chunks.join(''));
  }, 15_000);

  describe('bytes after a request: the request is answered with the backend\'s 200 first, run exactly once', () => {
    const cases: Array<{ name: string; send: string; then: (x: Awaited<ReturnType<typeof exchange>>) => void }> = [
      {
        name: 'junk after a POST on a Connection: close connection is ignored, and the connection closes',
        send: `POST /stream/close HTTP/1.1\r\n${H}Connection: close\r\nContent-Length: 9\r\n\r\npay once!GARBAGE\r\n\r\n`,
        then: (x) => {
          expect(x.responses).toHaveLength(1);
          expect(x.responses[0].body.toString('latin1')).toBe(STREAMED);
        },
      },
      {
        name: 'junk after an HTTP/1.0 POST is ignored, and the connection closes',
        send: `POST /stream/http10 HTTP/1.0\r\n${H}Content-Length: 9\r\n\r\npay once!EXTRA BYTES\r\n\r\n`,
        then: (x) => {
          expect(x.responses).toHaveLength(1);
          // An HTTP/1.0 client cannot read chunked: it gets the decoded body, delimited by the close.
          expect(x.responses[0].body.toString('latin1')).toBe(STREAMED_DECODED);
        },
      },
      {
        name: 'a malformed pipelined second request gets its 400 after the first request\'s 200',
        send: `POST /stream/pipelined HTTP/1.1\r\n${H}Content-Length: 9\r\n\r\npay once!GET /second HTTP/1.1\r\n${H}Bad Header Line\r\n\r\n`,
        then: (x) => {
          expect(x.responses.map((r) => r.status)).toEqual([200, 400]);
          expect(x.responses[0].body.toString('latin1')).toBe(STREAMED);
        },
      },
    ];
    test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const p = await withRecorder('127.0.0.151');
      const x = await exchange(p.host, p.port, [c.send], { maxMs: 4_000, settleMs: 400 });
      const why = `the client got: ${show(x.raw)}`;
      expect({ status: x.responses[0]?.status, why }).toEqual({ status: 200, why });
      expect(x.responses[0].head).toMatch(/\r\nx-recorder: 1/i);
      c.then(x);
      expect(x.closed).toBe(true);
      const posts = recorder!.requests.filter((r) => r.method !== '');
      expect(posts.map((r) => [r.method, r.body.toString()])).toEqual([['POST', 'pay once!']]);
    });
  });

  test('100 Continue and then the final response from a backend reach the client as that final 200, not a 502', async () => {
    const p = await withRaw('127.0.0.152', () => ({
      send: ['HTTP/1.1 100 Continue\r\n\r\n', { pauseMs: 50 }, ok('final answer\n')],
    }));
    const x = await exchange(p.host, p.port, [`POST /continue HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello`], { maxMs: 3_000 });
    const final = x.responses.filter((r) => r.status >= 200);
    expect(final.map((r) => [r.status, r.body.toString()])).toEqual([[200, 'final answer\n']]);
  });

  test('204 and 304 with a Content-Length reach the client complete, and the connection serves the next request', async () => {
    const p = await withRaw('127.0.0.153', (target) => {
      if (target === '/204') return { send: ['HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-Kind: no-content\r\n\r\n'] };
      if (target === '/304') return { send: ['HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\nETag: "v1"\r\n\r\n'] };
      return { send: [ok(`next ${target}\n`)] };
    });
    const c = await RawClient.connect(p.host, p.port);
    try {
      await c.send(`GET /204 HTTP/1.1\r\n${H}\r\n`);
      const noContent = await c.next(2_000);
      await c.send(`GET /304 HTTP/1.1\r\n${H}If-None-Match: "v1"\r\n\r\n`);
      const notModified = await c.next(2_000);
      await c.send(`GET /after HTTP/1.1\r\n${H}\r\n`);
      const after = await c.next(2_000);
      expect([noContent.status, notModified.status, after.status]).toEqual([204, 304, 200]);
      expect(noContent.head).toMatch(/\r\nx-kind: no-content/i);
      expect(notModified.head).toMatch(/\r\netag: "v1"/i);
      expect(after.body.toString()).toBe('next /after\n');
      expect(c.closed).toBe(false);
    } finally {
      c.destroy();
    }
  });

  test('an Upgrade request with a body gets the backend\'s non-101 answer promptly and is not blamed on the endpoint', async () => {
    const p = await withRecorder('127.0.0.154', { timeouts: { requestMs: 3_000 } });
    const t0 = Date.now();
    const x = await exchange(
      p.host,
      p.port,
      [`POST /chat HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 5\r\n\r\nhello`],
      { maxMs: 5_000 },
    );
    const ms = Date.now() - t0;
    expect(x.responses.map((r) => r.status)).toEqual([200]);
    expect(x.responses[0].head).toMatch(/\r\nx-recorder: 1/i);
    expect(ms).toBeLessThan(1_000);
    expect(recorder!.requests.map((r) => r.body.toString())).toEqual(['hello']);
    expect(await endpointBlame(`http://${p.host}:${p.adminPort}`)).toEqual({ failures: 0, ejections: 0 });
  });

  test('Upgrade: h2c is stripped: the backend sees a plain request, and the connection stays parsed HTTP/1.1', async () => {
    const p = await withRaw('127.0.0.155', (target, head) =>
      /\r\nupgrade:\s*h2c/i.test(head)
        ? { send: ['HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\nTUNNELLED-BYTES'] }
        : { send: [ok(`plain ${target}\n`)] },
    );
    const c = await RawClient.connect(p.host, p.port);
    try {
      await c.send(`GET /h2c HTTP/1.1\r\n${H}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n`);
      const first = await c.next(2_000);
      await c.send(`GET /after HTTP/1.1\r\n${H}\r\n`);
      const second = await c.next(2_000);
      expect([first.status, first.body.toString()]).toEqual([200, 'plain /h2c\n']);
      expect([second.status, second.body.toString()]).toEqual([200, 'plain /after\n']);
      expect(c.received.toString('latin1')).not.toMatch(/ 101 |TUNNELLED/);
    } finally {
      c.destroy();
    }
    expect(raw!.heads).toHaveLength(2);
    for (const head of raw!.heads) expect(head).not.toMatch(/\r\n(upgrade|http2-settings):/i);
  });

  test('a POST whose connect is refused on one endpoint is retried on another: each body reaches the live backend once', async () => {
    recorder = new RecordingBackend('127.0.0.156');
    await recorder.start();
    const deadHost = '127.0.0.157';
    const deadPort = await freePort(deadHost);
    proxy = await startProxy({
      upstream: {
        port: recorder.port,
        sources: [{ kind: 'static', endpoints: [{ address: deadHost, port: deadPort }, { address: recorder.host }] }],
      },
      algorithm: { kind: 'round-robin' },
      outlierDetection: { consecutiveFailures: 1_000 },
      retries: { budget: { minRetriesPerSecond: 100 } },
    });
    const p = proxy;
    const statuses: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await within(request(p.host, p.port, `/order/${i}`, { method: 'POST', body: `order-${i}` }), 5_000, `POST ${i}`);
      statuses.push(r.status === 200 ? '200' : `${r.status} ${r.body.trim()}`);
    }
    expect(statuses).toEqual(Array(10).fill('200'));
    const bodies = recorder.requests.filter((r) => r.method === 'POST').map((r) => r.body.toString());
    expect(bodies.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `order-${i}`).sort());
    // Round robin sent half of them to the dead endpoint first.
    expect((await get(p.host, p.adminPort, '/metrics')).body).toMatch(/lb_upstream_rq_retry_total ([5-9]|\d\d)/);
  });

  /** Two backends behind round robin; the first answers 500 until healed, and is ejected for 30 s before this returns. */
  async function ejectFirstOfTwo(probeAfterMs: number): Promise<{ p: RunningProxy; heal: () => void }> {
    let sick = true;
    const flaky: Handler = (req, res, b) => {
      if (!sick) return defaultHandler(req, res, b);
      req.resume();
      res.writeHead(500).end('sick\n');
    };
    backends = [await startBackend('127.0.0.158', flaky), await startBackend('127.0.0.159')];
    const p = (proxy = await startProxy({
      upstream: { port: 1, sources: [{ kind: 'static', endpoints: backends.map((b) => ({ address: b.host, port: b.port })) }] },
      algorithm: { kind: 'round-robin' },
      outlierDetection: { consecutiveFailures: 5, baseEjectionMs: 30_000, maxEjectionMs: 30_000, probeAfterMs },
    }));
    const ejected = async () => (await endpointsDump(p)).endpoints.find((e) => e.id.startsWith('127.0.0.158'))?.ejected === true;
    for (let i = 0; i < 30 && !(await ejected()); i++) await request(p.host, p.port, '/');
    expect(await ejected()).toBe(true);
    return { p, heal: () => (sick = false) };
  }

  test('an ejected backend that is healthy again gets traffic back long before its ejection time runs out', async () => {
    const { p, heal } = await ejectFirstOfTwo(300);
    heal();
    const healed = Date.now();
    let backAfter = -1;
    while (Date.now() - healed < 2_500) {
      const r = await request(p.host, p.port, '/');
      if (r.headers['x-backend'] === '127.0.0.158') {
        backAfter = Date.now() - healed;
        break;
      }
      await sleep(50);
    }
    expect(backAfter).toBeGreaterThanOrEqual(0);
    expect(backAfter).toBeLessThan(2_000);
  });

  test('a POST is never the probe of an ejected backend: only requests safe to send twice are', async () => {
    const { p, heal } = await ejectFirstOfTwo(200);
    heal();
    await sleep(400); // past probeAfterMs: the next eligible request would be the probe
    const seenBefore = backends[0].seen.length;
    for (let i = 0; i < 10; i++) {
      const r = await request(p.host, p.port, '/order', { method: 'POST', headers: { 'content-length': '0' } });
      expect(r.status).toBe(200);
    }
    expect(backends[0].seen.slice(seenBefore).map((s) => s.method)).toEqual([]);
    // A GET may be the probe, and brings the endpoint back.
    await request(p.host, p.port, '/');
    expect(backends[0].seen.slice(seenBefore).map((s) => s.method)).toEqual(['GET']);
  });

  describe('a 502 for a malformed response says what was wrong', () => {
    const cases: Array<[string, string, RegExp]> = [
      // Today's words are llhttp's reasons: "Duplicate Content-Length", "Unexpected whitespace after header value",
      // "Missing expected CR after header value".
      ['two Content-Length headers', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok', /malformed.*content-length/i],
      ['an obs-fold continuation line', 'HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\nContent-Length: 2\r\n\r\nok', /malformed.*(fold|whitespace)/i],
      ['a bare LF in the head', 'HTTP/1.1 200 OK\r\nX-Bare: a\nContent-Length: 2\r\n\r\nok', /malformed.*(\bCR\b|\bLF\b)/],
    ];
    test.each(cases)('fails with 502 naming the problem when the backend sends %s', async (_name, bytes, says) => {
      const p = await withRaw('127.0.0.152', () => ({ send: [bytes], poisoned: true }));
      const r = await within(request(p.host, p.port, '/malformed'), 3_000, 'answer');
      expect(r.status).toBe(502);
      expect(r.body).toMatch(says);
      expect(r.body).not.toMatch(/closed the connection before answering/);
    });
  });
});
