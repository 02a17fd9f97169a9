/**
 * Review: the client side of the raw-socket data plane (http1/server.ts, exchange.ts): deadlines after backpressure,
 * the proxy's own answers to HEAD, pipelining with bodies, HTTP/1.0, clients that go away, and the admission queue.
 */
import { ok, RawBackend, RawClient, within } from './fault-helpers';
import { cleanTmp, request, RunningProxy, sleep } from './helpers';
import { exchange, freePort, RecordingBackend, show } from './hostile-helpers';
import { Collector, connectRaw, dump, onRequests, proxyFor, ScriptBackend, settled, tinyBufferClient } from './review-helpers';

const H = 'Host: review.test\r\n';

describe('review: client connections', () => {
  let proxy: RunningProxy | undefined;
  let raw: RawBackend | undefined;
  let script: ScriptBackend | undefined;
  let recorder: RecordingBackend | undefined;

  afterEach(async () => {
    await proxy?.stop('SIGKILL');
    proxy = undefined;
    await raw?.stop();
    raw = undefined;
    await script?.stop();
    script = undefined;
    await recorder?.stop();
    recorder = undefined;
  });
  afterAll(cleanTmp);

  test.each([
    ['a small answer', 1_000],
    ['an answer that filled its socket buffers', 60_000],
  ])('a keep-alive client that read %s and then sits idle is closed after clientIdleMs', async (_name, bodyBytes) => {
    // With 60,000 bytes the head and body leave in one write larger than the path to this client holds (see
    // tinyBufferClient), so write() returns false and 'drain' comes after the answer is done.
    const headers = bodyBytes > 1_000 ? Array.from({ length: 2_000 }, (_, i) => `x-h${String(i).padStart(4, '0')}: ${'v'.repeat(20)}\r\n`).join('') : '';
    const body = 'b'.repeat(bodyBytes);
    const head = `HTTP/1.1 200 OK\r\n${headers}Content-Length: ${body.length}\r\n\r\n`;
    raw = await new RawBackend('127.0.0.216', () => ({ send: [head, { pauseMs: 100 }, body] })).start();
    const p = (proxy = await proxyFor('127.0.0.216', [raw], { timeouts: { clientIdleMs: 500, idleMs: 10_000, headersMs: 10_000 } }));
    const got = await tinyBufferClient(p.host, p.port, `GET /idle HTTP/1.1\r\n${H}\r\n`, head.length + body.length, 400, 3_000);
    expect(got.bytes).toBe(head.length + body.length);
    expect({ closedAfterMs: got.closedAfterMs >= 0 && got.closedAfterMs < 1_500 ? 'about clientIdleMs' : got.closedAfterMs }).toEqual({
      closedAfterMs: 'about clientIdleMs',
    });
  }, 15_000);

  test('a HEAD the proxy answers itself (connect refused) gets a head without body bytes, so the next answer on the connection stays framed', async () => {
    const deadHost = '127.0.0.217';
    const deadPort = await freePort(deadHost);
    const p = (proxy = await proxyFor('127.0.0.218', [{ host: deadHost, port: deadPort }], { retries: { attempts: 0 } }));
    const x = await exchange(p.host, p.port, [`HEAD /h HTTP/1.1\r\n${H}\r\nGET /g HTTP/1.1\r\n${H}Connection: close\r\n\r\n`], { maxMs: 2_000 });
    const text = x.raw.toString('latin1');
    const firstEnd = text.indexOf('\r\n\r\n') + 4;
    expect({ first: text.slice(0, 12), next: text.slice(firstEnd, firstEnd + 9), raw: show(x.raw, 400) }).toEqual({
      first: 'HTTP/1.1 502',
      next: 'HTTP/1.1 ',
      raw: expect.any(String),
    });
  });

  test('pipelined POST (Content-Length), POST (chunked) and two GETs in one packet: answered in order, each backend request exact', async () => {
    recorder = new RecordingBackend('127.0.0.219');
    await recorder.start();
    const p = (proxy = await proxyFor('127.0.0.219', [recorder]));
    const packet =
      `POST /a HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello` +
      `POST /b HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nworld\r\n3\r\n!!!\r\n0\r\n\r\n` +
      `GET /c HTTP/1.1\r\n${H}\r\n` +
      `GET /d HTTP/1.1\r\n${H}Connection: close\r\n\r\n`;
    const x = await exchange(p.host, p.port, [packet], { maxMs: 3_000 });
    expect(x.responses.map((r) => `${r.status} ${r.body.toString()}`)).toEqual(Array(4).fill('200 ok\n'));
    expect(x.closed).toBe(true);
    expect(recorder.requests.map((r) => [r.method, r.target, r.body.toString(), r.complete, r.problems])).toEqual([
      ['POST', '/a', 'hello', true, []],
      ['POST', '/b', 'world!!!', true, []],
      ['GET', '/c', '', true, []],
      ['GET', '/d', '', true, []],
    ]);
  });

  test('a request pipelined behind an answer delimited by the close is never forwarded, and the client sees one whole answer and the close', async () => {
    raw = await new RawBackend('127.0.0.220', () => ({ send: ['HTTP/1.1 200 OK\r\nX-Kind: eof\r\n\r\nto the end'], close: 'end' })).start();
    const p = (proxy = await proxyFor('127.0.0.220', [raw]));
    const x = await exchange(p.host, p.port, [`GET /eof HTTP/1.1\r\n${H}\r\nGET /after HTTP/1.1\r\n${H}\r\n`], { maxMs: 2_000 });
    expect(x.closed).toBe(true);
    expect(x.responses.map((r) => `${r.status} ${r.body.toString()}`)).toEqual(['200 to the end']);
    expect(x.responses[0].head).toMatch(/\r\nconnection: close/i);
    await sleep(100);
    expect(raw.heads.map((h) => h.split(' ')[1])).toEqual(['/eof']);
  });

  test('HTTP/1.0: keep-alive is honoured and announced, a plain 1.0 request closes, a HEAD with a chunked upstream answer has no body', async () => {
    raw = await new RawBackend('127.0.0.221', (target) =>
      target === '/chunked' ? { send: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'] } : { send: [ok(`${target}\n`)] },
    ).start();
    const p = (proxy = await proxyFor('127.0.0.221', [raw]));
    const c = await RawClient.connect(p.host, p.port);
    try {
      await c.send('GET /ka1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      const a = await c.next(2_000);
      await c.send('GET /ka2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      const b = await c.next(2_000);
      expect([a.status, a.body.toString(), b.status, b.body.toString()]).toEqual([200, '/ka1\n', 200, '/ka2\n']);
      expect(a.head).toMatch(/\r\nconnection: keep-alive/i);
      expect(c.closed).toBe(false);
    } finally {
      c.destroy();
    }
    const plain = await exchange(p.host, p.port, ['GET /plain HTTP/1.0\r\n\r\n'], { maxMs: 2_000 });
    expect([plain.closed, plain.responses.map((r) => r.status)]).toEqual([true, [200]]);
    const head = await exchange(p.host, p.port, ['HEAD /chunked HTTP/1.0\r\n\r\n'], { maxMs: 2_000 });
    expect(head.closed).toBe(true);
    const text = head.raw.toString('latin1');
    expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe('');
    expect(text).toMatch(/^HTTP\/1\.1 200/);
  });

  test('a client that never reads a 16 MiB answer is cut after idleMs and leaves nothing in flight', async () => {
    const big = Buffer.alloc(16 * 1024 * 1024, 'z');
    script = await new ScriptBackend('127.0.0.222', (s) => onRequests(s, () => s.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`), big])))).start();
    const p = (proxy = await proxyFor('127.0.0.222', [script], { timeouts: { idleMs: 600 } }));
    const s = await connectRaw(p.host, p.port);
    s.pause();
    s.write(`GET /never HTTP/1.1\r\n${H}\r\n`);
    await sleep(300);
    expect((await dump(p)).activeRequests).toBe(1);
    const d = await settled(p, 3_000);
    s.destroy();
    expect([d.activeRequests, d.endpoints[0].inFlight]).toEqual([0, 0]);
  });

  describe('a client that goes away leaves nothing in flight and cancels the upstream request', () => {
    const stages: Array<[string, string, (s: import('node:net').Socket) => void]> = [
      ['during its body upload', `POST /up HTTP/1.1\r\n${H}Content-Length: 100000\r\n\r\n${'u'.repeat(1_000)}`, () => undefined],
      ['while the endpoint thinks', `GET /think HTTP/1.1\r\n${H}\r\n`, () => undefined],
      ['in the middle of the answer', `GET /half HTTP/1.1\r\n${H}\r\n`, (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nhalf')],
    ];
    test.each(stages)('%s', async (_name, req, answer) => {
      let upstreamClosed = false;
      script = await new ScriptBackend('127.0.0.223', (s) => {
        s.on('end', () => (upstreamClosed = true));
        s.on('close', () => (upstreamClosed = true));
        let seen = false;
        s.on('data', () => {
          if (!seen) answer(s);
          seen = true;
        });
      }).start();
      const p = (proxy = await proxyFor('127.0.0.223', [script]));
      const c = new Collector(await connectRaw(p.host, p.port));
      c.s.write(req);
      await sleep(250);
      expect((await dump(p)).activeRequests).toBe(1);
      c.s.destroy();
      const d = await settled(p);
      expect([d.activeRequests, d.endpoints[0].inFlight]).toEqual([0, 0]);
      expect(await c.until(() => upstreamClosed, 2_000)).toBe(true);
    });
  });

  test('with maxInFlightPerEndpoint 1, concurrent requests queue and are served one at a time; beyond maxQueue they get 503', async () => {
    let busy = 0;
    let peak = 0;
    script = await new ScriptBackend('127.0.0.224', (s) =>
      onRequests(s, () => {
        peak = Math.max(peak, ++busy);
        setTimeout(() => {
          busy--;
          s.write(ok('done\n'));
        }, 150);
      }),
    ).start();
    const p = (proxy = await proxyFor('127.0.0.224', [script], { limits: { maxInFlightPerEndpoint: 1, maxQueue: 2, queueTimeoutMs: 5_000 } }));
    const first = request(p.host, p.port, '/1');
    await sleep(50);
    const rest = [request(p.host, p.port, '/2'), request(p.host, p.port, '/3')];
    await sleep(50);
    const over = await within(request(p.host, p.port, '/4'), 2_000, 'request over the queue');
    const done = await within(Promise.all([first, ...rest]), 4_000, 'queued requests');
    expect(done.map((r) => r.status)).toEqual([200, 200, 200]);
    expect([over.status, over.body]).toEqual([503, expect.stringMatching(/queue is full/)]);
    expect(peak).toBe(1);
  });

  test('an upload to a backend that stops reading its body ends in 504 (the endpoint stalled), not 408 (the client did not)', async () => {
    script = await new ScriptBackend('127.0.0.226', (s) => s.once('data', () => s.pause())).start();
    const p = (proxy = await proxyFor('127.0.0.226', [script], { timeouts: { idleMs: 800 } }));
    const c = new Collector(await connectRaw(p.host, p.port));
    c.s.write(`POST /upload HTTP/1.1\r\n${H}Content-Length: ${256 * 1024 * 1024}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 'u');
    const stop = Date.now() + 4_000;
    // The client sends as fast as the proxy takes it: any stall is the backend's.
    while (Date.now() < stop && !c.closed && c.buf.length === 0) {
      if (!c.s.write(chunk)) await Promise.race([new Promise((r) => c.s.once('drain', r)), sleep(50)]);
    }
    await c.until((x) => x.buf.length > 0 || x.closed, 2_000);
    c.s.destroy();
    expect(c.text.slice(0, 12)).toBe('HTTP/1.1 504');
  }, 15_000);

  test('a queued request whose client went away gives its queue place back at once', async () => {
    let release: (() => void) | undefined;
    script = await new ScriptBackend('127.0.0.225', (s) =>
      onRequests(s, (head) => {
        if (head.startsWith('GET /hold ')) release = () => s.write(ok('held\n'));
        else s.write(ok('next\n'));
      }),
    ).start();
    const p = (proxy = await proxyFor('127.0.0.225', [script], { limits: { maxInFlightPerEndpoint: 1, maxQueue: 1, queueTimeoutMs: 3_000 } }));
    const held = request(p.host, p.port, '/hold');
    await sleep(100);
    const gone = new Collector(await connectRaw(p.host, p.port));
    gone.s.write(`GET /gone HTTP/1.1\r\n${H}\r\n`);
    await sleep(100);
    gone.s.destroy();
    await sleep(100);
    const queuedAfterGone = (await dump(p)).queued;
    const next = request(p.host, p.port, '/next');
    await sleep(100);
    release?.();
    const [h, n] = await within(Promise.all([held, next]), 4_000, 'answers');
    expect({ queuedAfterGone, held: h.status, next: `${n.status} ${n.body.trim()}` }).toEqual({ queuedAfterGone: 0, held: 200, next: '200 next' });
  });
});
