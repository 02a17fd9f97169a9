/**
 * Review: the upstream side of the raw-socket data plane (h1-connection.ts, pool.ts, exchange.ts): connection reuse
 * after backpressure, stray bytes after a bodiless answer, 101 without an upgrade, the stale keep-alive replay,
 * transfer codings, and response heads passed through byte for byte.
 */
import { gzipSync } from 'node:zlib';
import { ok, RawBackend, RawClient, RawReply, within } from './fault-helpers';
import { cleanTmp, request, RunningProxy } from './helpers';
import { exchange, show } from './hostile-helpers';
import { onRequests, proxyFor, ScriptBackend, settled, tinyBufferClient } from './review-helpers';

const H = 'Host: review.test\r\n';

describe('review: upstream connections and responses', () => {
  let proxy: RunningProxy | undefined;
  let raw: RawBackend | undefined;
  let script: ScriptBackend | undefined;

  afterEach(async () => {
    await proxy?.stop('SIGKILL');
    proxy = undefined;
    await raw?.stop();
    raw = undefined;
    await script?.stop();
    script = undefined;
  });
  afterAll(cleanTmp);

  async function withRaw(host: string, answer: (target: string, head: string) => RawReply, extra: object = {}): Promise<RunningProxy> {
    raw = await new RawBackend(host, answer).start();
    proxy = await proxyFor(host, [raw], extra);
    return proxy;
  }

  test('an upstream connection whose last answer filled a slow client\'s socket buffers serves the next client at once', async () => {
    // The proxy writes a response head and the first body bytes in one write. Here that write is the whole answer
    // (a 60,000-byte head, then 60,000 body bytes in one read) and it is larger than what the path to a client with
    // tiny socket buffers holds, so write() returns false on the answer's last byte.
    const headers = Array.from({ length: 2_000 }, (_, i) => `x-h${String(i).padStart(4, '0')}: ${'v'.repeat(20)}\r\n`).join('');
    const body = 'b'.repeat(60_000);
    const head = `HTTP/1.1 200 OK\r\n${headers}Content-Length: ${body.length}\r\n\r\n`;
    const p = await withRaw(
      '127.0.0.201',
      (target) => (target === '/big' ? { send: [head, { pauseMs: 100 }, body] } : { send: [ok('small\n')] }),
      { timeouts: { requestMs: 2_500 }, retries: { attempts: 0 } },
    );
    const got = await tinyBufferClient(p.host, p.port, `GET /big HTTP/1.1\r\n${H}\r\n`, head.length + body.length, 400);
    expect(got.bytes).toBe(head.length + body.length);
    // A new client; the pool hands it the connection /big used.
    const t0 = Date.now();
    const second = await within(request(p.host, p.port, '/small'), 5_000, 'GET /small');
    expect({ status: second.status, body: second.body, ms: Date.now() - t0 < 1_000 ? 'prompt' : Date.now() - t0 }).toEqual({
      status: 200,
      body: 'small\n',
      ms: 'prompt',
    });
  }, 15_000);

  test.each([
    ['a 304 with body bytes', 'GET /stray', 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 5\r\n\r\nhello', 304],
    ['a HEAD answer with body bytes', 'HEAD /stray', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', 200],
  ])('a request pipelined behind %s from a misbehaving backend gets the backend\'s own answer, not a 502', async (_name, line, reply, status) => {
    const p = await withRaw('127.0.0.202', (target) => (target === '/stray' ? { send: [reply] } : { send: [ok(`next ${target}\n`)] }), {
      retries: { attempts: 0 },
    });
    const x = await exchange(p.host, p.port, [`${line} HTTP/1.1\r\n${H}\r\nGET /next HTTP/1.1\r\n${H}\r\n`], { maxMs: 3_000 });
    // Read as bytes: the raw client does not know that a HEAD answer has no body.
    const raw = x.raw.toString('latin1');
    expect({ statusLines: raw.match(/HTTP\/1\.1 \d{3}/g), strayBytes: raw.includes('hello'), tail: raw.slice(-11) }).toEqual({
      statusLines: [`HTTP/1.1 ${status}`, 'HTTP/1.1 200'],
      strayBytes: false,
      tail: 'next /next\n',
    });
  });

  test('a 101 to a request that asked for no upgrade is a 502: the client connection never turns into a tunnel', async () => {
    const p = await withRaw('127.0.0.203', () => ({
      send: ['HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: weird\r\n\r\nRAW-BYTES'],
    }));
    const x = await exchange(p.host, p.port, [`GET /plain HTTP/1.1\r\n${H}\r\n`], { maxMs: 2_000 });
    expect({ statuses: x.responses.map((r) => r.status), raw: show(x.raw, 200) }).toEqual({ statuses: [502], raw: expect.not.stringMatching(/RAW-BYTES/) });
  });

  test('a GET that meets a keep-alive connection the backend just closed is replayed on a fresh one (no retries configured)', async () => {
    // Each connection answers its first request; a second request on it is met with a close and no answer, which is
    // what the stale keep-alive race looks like from the proxy.
    script = await new ScriptBackend('127.0.0.204', (s) => {
      let n = 0;
      onRequests(s, (head) => {
        if (n++ === 0) s.write(ok(`${head.split(' ')[1]}\n`));
        else s.destroy();
      });
    }).start();
    const p = (proxy = await proxyFor('127.0.0.204', [script], { retries: { attempts: 0 } }));
    const out: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await within(request(p.host, p.port, `/r${i}`), 3_000, `GET ${i}`);
      out.push(`${r.status} ${r.body.trim()}`);
    }
    expect(out).toEqual(['200 /r0', '200 /r1', '200 /r2', '200 /r3']);
    expect((await settled(p)).endpoints[0].failures).toBe(0);
  });

  test('Transfer-Encoding: gzip, chunked from the backend reaches an HTTP/1.1 client with its gzip coding named', async () => {
    const gz = gzipSync(Buffer.from('hello gzip\n'));
    const body = Buffer.concat([Buffer.from(`${gz.length.toString(16)}\r\n`), gz, Buffer.from('\r\n0\r\n\r\n')]);
    const p = await withRaw('127.0.0.205', () => ({ send: [Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'), body])] }));
    const x = await exchange(p.host, p.port, [`GET /gz HTTP/1.1\r\n${H}\r\n`], { maxMs: 2_000 });
    expect(x.responses.map((r) => r.status)).toEqual([200]);
    // Without "gzip" the client takes gzip bytes for the content.
    expect(x.responses[0].head).toMatch(/\r\ntransfer-encoding:[ \t]*gzip,[ \t]*chunked/i);
  });

  test('response heads pass byte for byte: duplicates, Set-Cookie lists, latin1 obs-text, a 32 KiB value; a backend Connection: close leaves the client connection usable', async () => {
    const long = 'v'.repeat(32 * 1024);
    const p = await withRaw('127.0.0.206', (target) =>
      target === '/odd'
        ? {
            send: [
              `HTTP/1.1 200 OK\r\nX-Dup: a\r\nX-Dup: b\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2, c=3\r\nX-Latin: caf\xe9 \x80\xff\r\nX-Long: ${long}\r\nConnection: close\r\nContent-Length: 3\r\n\r\nodd`,
            ],
            close: 'end',
          }
        : { send: [ok('again\n')] },
    );
    const c = await RawClient.connect(p.host, p.port);
    try {
      await c.send(`GET /odd HTTP/1.1\r\n${H}X-Req-Latin: \xe9\xff\r\n\r\n`);
      const odd = await c.next(2_000);
      await c.send(`GET /again HTTP/1.1\r\n${H}\r\n`);
      const again = await c.next(2_000);
      expect(odd.status).toBe(200);
      expect(odd.head).toContain('\r\nX-Dup: a\r\nX-Dup: b\r\n');
      expect(odd.head).toContain('\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2, c=3\r\n');
      expect(odd.head).toContain('\r\nX-Latin: caf\xe9 \x80\xff\r\n');
      expect(odd.head).toContain(`\r\nX-Long: ${long}\r\n`);
      expect(odd.head).not.toMatch(/\r\nconnection:/i);
      expect([again.status, again.body.toString()]).toEqual([200, 'again\n']);
      expect(c.closed).toBe(false);
    } finally {
      c.destroy();
    }
    expect(raw!.heads[0]).toContain('\r\nX-Req-Latin: \xe9\xff');
  });

  test('102 and 103 reach an HTTP/1.1 client before the final answer; an HTTP/1.0 client gets only the final one', async () => {
    const p = await withRaw('127.0.0.207', () => ({
      send: ['HTTP/1.1 102 Processing\r\n\r\n', { pauseMs: 30 }, 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n', { pauseMs: 30 }, ok('final\n')],
    }));
    const v11 = await exchange(p.host, p.port, [`GET /hints HTTP/1.1\r\n${H}\r\n`], { maxMs: 2_000 });
    expect(v11.responses.map((r) => r.status)).toEqual([102, 103, 200]);
    expect(v11.responses[1].head).toMatch(/\r\nLink: <\/a\.css>; rel=preload/);
    const v10 = await exchange(p.host, p.port, [`GET /hints HTTP/1.0\r\n${H}\r\n`], { maxMs: 2_000 });
    expect(v10.responses.map((r) => `${r.status} ${r.body.toString()}`)).toEqual(['200 final\n']);
    expect(v10.closed).toBe(true);
  });

  test('a response body that stalls for idleMs is cut: the client sees a broken answer and nothing stays in flight', async () => {
    const p = await withRaw('127.0.0.208', () => ({ send: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', { pauseMs: 2_000 }] }), {
      timeouts: { idleMs: 500 },
    });
    const t0 = Date.now();
    const x = await exchange(p.host, p.port, [`GET /stall HTTP/1.1\r\n${H}\r\n`], { maxMs: 3_500, settleMs: 3_000 });
    expect({ closed: x.closed, fast: Date.now() - t0 < 2_000 }).toEqual({ closed: true, fast: true });
    expect(x.responses).toHaveLength(0); // 3 of 10 bytes: incomplete, never passed off as whole
    const d = await settled(p);
    expect([d.activeRequests, d.endpoints[0].inFlight]).toEqual([0, 0]);
  });

  test('a POST with a 1 MiB body whose first endpoint refuses the connect reaches the live endpoint whole, every time', async () => {
    const bodies: number[] = [];
    script = await new ScriptBackend('127.0.0.209', (s) =>
      onRequests(s, (_head, body) => {
        bodies.push(body.length);
        s.write(ok(`${body.length}\n`));
      }),
    ).start();
    const dead = { host: '127.0.0.210', port: script.port }; // nothing listens there
    const p = (proxy = await proxyFor('127.0.0.209', [dead, script], {
      algorithm: { kind: 'round-robin' },
      retries: { budget: { minRetriesPerSecond: 100 } },
    }));
    const body = Buffer.alloc(1024 * 1024, 'p');
    const out: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await within(request(p.host, p.port, `/up${i}`, { method: 'POST', body }), 5_000, `POST ${i}`);
      out.push(`${r.status} ${r.body.trim()}`);
    }
    expect(out).toEqual(Array(4).fill(`200 ${body.length}`));
    expect(bodies).toEqual(Array(4).fill(body.length));
  }, 20_000);
});
