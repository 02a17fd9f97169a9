/**
 * Plain HTTP/2 through the proxy: h2c clients on the http listener with HTTP/1.1 endpoints (bodies framed right both
 * ways), HTTP/1.1 clients on an http2 listener with h2c endpoints, and the max connection age on both client protocols.
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { block, data, errorName, headers, RawH2 } from './h2-frames';
import { Backend, cleanTmp, RunningProxy, sleep, startBackend, startProxy, staticSource } from './helpers';

jest.setTimeout(15_000);

const HOST = '127.0.0.81';

let backend: Backend | undefined;
let h2backend: http2.Http2Server | undefined;
let proxy: RunningProxy | undefined;
let session: http2.ClientHttp2Session | undefined;

afterEach(async () => {
  session?.destroy();
  session = undefined;
  await proxy?.stop();
  proxy = undefined;
  await backend?.close();
  backend = undefined;
  if (h2backend) await new Promise<void>((resolve) => h2backend?.close(() => resolve()));
  h2backend = undefined;
});
afterAll(cleanTmp);

interface H2Reply {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly trailers: http2.IncomingHttpHeaders | undefined;
}

/** One request on `s`; `body` as several DATA frames (no content-length unless given in `headers`). */
function h2request(s: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body: readonly Buffer[] = []): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const st = s.request(headers, { endStream: body.length === 0 });
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    st.on('response', (h) => (head = h));
    st.on('trailers', (t) => (trailers = t));
    st.on('data', (d: Buffer) => chunks.push(d));
    st.on('error', reject);
    st.on('end', () => resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(chunks), trailers }));
    for (const b of body) st.write(b);
    if (body.length > 0) st.end();
  });
}

/** The http listener in front of one HTTP/1.1 backend whose handler records what it received. */
async function h2cToHttp1(handler: (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void): Promise<http2.ClientHttp2Session> {
  backend = await startBackend(HOST, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  proxy = await startProxy({ upstream: { port: 1, sources: [staticSource([backend])] } } as never);
  session = http2.connect(`http://${proxy.host}:${proxy.port}`);
  session.on('error', () => undefined);
  return session;
}

describe('h2c clients on the http listener, HTTP/1.1 endpoints', () => {
  test('GET, POST with and without content-length reach the endpoint with correctly framed bodies', async () => {
    const seen: { method: string; cl?: string; te?: string; body: string }[] = [];
    const s = await h2cToHttp1((req, body, res) => {
      seen.push({ method: req.method ?? '', cl: req.headers['content-length'], te: req.headers['transfer-encoding'], body: body.toString() });
      res.end(`got ${body.length}`);
    });
    const get = await h2request(s, { ':path': '/a' });
    const withLength = await h2request(s, { ':method': 'POST', ':path': '/b', 'content-length': '11' }, [Buffer.from('hello '), Buffer.from('world')]);
    const parts = Array.from({ length: 5 }, (_, i) => Buffer.from(`part${i};`.repeat(1000)));
    const noLength = await h2request(s, { ':method': 'POST', ':path': '/c' }, parts);
    expect([get.status, withLength.status, noLength.status]).toEqual([200, 200, 200]);
    expect(seen[0]).toEqual({ method: 'GET', cl: undefined, te: undefined, body: '' });
    expect(seen[1]).toEqual({ method: 'POST', cl: '11', te: undefined, body: 'hello world' });
    expect(seen[2]).toEqual({ method: 'POST', cl: undefined, te: 'chunked', body: Buffer.concat(parts).toString() });
    expect(noLength.body.toString()).toBe(`got ${Buffer.concat(parts).length}`);
  });

  test('a chunked response arrives de-chunked, and its HTTP/1.1 trailers arrive as HTTP/2 trailers, not in the body', async () => {
    const s = await h2cToHttp1((req, _body, res) => {
      if (req.url === '/trailers') res.addTrailers({ 'x-sum': 'abc' });
      res.setHeader('trailer', 'x-sum');
      res.write('first;');
      setTimeout(() => {
        res.write('second;');
        res.end('third');
      }, 20);
    });
    const plain = await h2request(s, { ':path': '/plain', te: 'trailers' });
    const withTrailers = await h2request(s, { ':path': '/trailers', te: 'trailers' });
    expect(plain.status).toBe(200);
    expect(plain.body.toString()).toBe('first;second;third');
    expect(plain.headers['transfer-encoding']).toBeUndefined();
    expect(withTrailers.body.toString()).toBe('first;second;third');
    expect(withTrailers.trailers?.['x-sum']).toBe('abc');
    expect(plain.trailers).toBeUndefined();
  });

  test('an answer to HEAD has no body', async () => {
    const s = await h2cToHttp1((_req, _body, res) => {
      res.setHeader('content-length', '5');
      res.end('hello');
    });
    const r = await h2request(s, { ':method': 'HEAD', ':path': '/' });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
    expect(r.headers['content-length']).toBe('5');
    const after = await h2request(s, { ':path': '/' });
    expect(after.body.toString()).toBe('hello');
  });
});

describe('HTTP/1.1 clients on the http2 listener, h2c endpoints', () => {
  test('a chunked request body reaches the h2c endpoint whole', async () => {
    const received: Buffer[] = [];
    h2backend = http2.createServer();
    h2backend.on('stream', (st, headers) => {
      const chunks: Buffer[] = [];
      st.on('data', (d: Buffer) => chunks.push(d));
      st.on('end', () => {
        received.push(Buffer.concat(chunks));
        st.respond({ ':status': 200, 'x-method': String(headers[':method']) });
        st.end(`len=${Buffer.concat(chunks).length}`);
      });
    });
    await new Promise<void>((resolve) => h2backend?.listen(0, HOST, resolve));
    const port = (h2backend.address() as AddressInfo).port;
    proxy = await startProxy({ upstream: { port, sources: [{ kind: 'static', endpoints: [{ address: HOST }] }] } } as never, {
      listener: { protocol: 'http2' },
    });
    const parts = Array.from({ length: 4 }, (_, i) => Buffer.alloc(3000 + i, 97 + i));
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: proxy?.host, port: proxy?.port, method: 'POST', path: '/up', agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (const p of parts) req.write(p); // no content-length: chunked
      req.end();
    });
    expect(reply).toEqual({ status: 200, body: `len=${Buffer.concat(parts).length}` });
    expect(received).toHaveLength(1);
    expect(received[0].equals(Buffer.concat(parts))).toBe(true);
    const get = await new Promise<number>((resolve, reject) =>
      http.get({ host: proxy?.host, port: proxy?.port, path: '/', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject),
    );
    expect(get).toBe(200);
  });
});

describe('max connection age', () => {
  test('an h2 client gets GOAWAY after 450-500 ms, and its next calls work on a new connection', async () => {
    backend = await startBackend(HOST, (_req, res) => res.end('ok'));
    proxy = await startProxy({ upstream: { port: 1, sources: [staticSource([backend])] } } as never, {
      listener: { maxConnectionAgeMs: 500 },
    });
    const p = proxy;
    const first = (session = http2.connect(`http://${p.host}:${p.port}`));
    first.on('error', () => undefined);
    const connectedAt = await new Promise<number>((resolve) => first.once('connect', () => resolve(Date.now())));
    const goawayAt = new Promise<number>((resolve) => first.on('goaway', () => resolve(Date.now() - connectedAt)));
    expect((await h2request(first, { ':path': '/' })).status).toBe(200);
    const at = await goawayAt;
    console.log(`GOAWAY ${at} ms after the connect (age 500 ms, jitter 10%)`);
    expect(at).toBeGreaterThanOrEqual(440);
    expect(at).toBeLessThan(560);
    first.destroy();
    const second = (session = http2.connect(`http://${p.host}:${p.port}`));
    second.on('error', () => undefined);
    expect((await h2request(second, { ':path': '/' })).body.toString()).toBe('ok');
  });

  test('an HTTP/1.1 keep-alive connection gets connection: close once it is older than the age', async () => {
    backend = await startBackend(HOST);
    proxy = await startProxy({ upstream: { port: 1, sources: [staticSource([backend])] } } as never, {
      listener: { maxConnectionAgeMs: 500 },
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ask = () =>
      new Promise<{ connection?: string; port: number }>((resolve, reject) =>
        http
          .get({ host: proxy?.host, port: proxy?.port, path: '/', agent }, (res) => {
            const port = res.socket.localPort ?? 0;
            res.resume();
            res.on('end', () => resolve({ connection: res.headers.connection, port }));
          })
          .on('error', reject),
      );
    const young = await ask();
    await sleep(600);
    const old = await ask();
    const next = await ask();
    agent.destroy();
    expect(young.connection).not.toBe('close');
    expect(old.connection).toBe('close');
    expect(old.port).toBe(young.port); // the same connection, told to close
    expect(next.port).not.toBe(old.port);
  });
});

describe('an answer complete before the request body', () => {
  test('arrives whole, then RST_STREAM(NO_ERROR) stops the upload (RFC 9113 8.1, as nginx does), and the connection serves on', async () => {
    // The endpoint answers at once without reading the body, as an upload endpoint that refuses or ignores it does.
    backend = await startBackend(HOST, (req, res) => {
      req.resume();
      res.end('early\n');
    });
    proxy = await startProxy({ upstream: { port: 1, sources: [staticSource([backend])] } } as never);
    const c = await RawH2.open(proxy.host, proxy.port);
    try {
      await c.until(() => c.serverSettings > 0, 2_000);
      const put: Array<[string, string]> = [[':method', 'PUT'], [':scheme', 'http'], [':authority', 'h2.test'], [':path', '/up'], ['content-length', '600000']];
      await c.send(Buffer.concat([headers(1, block(put), { endStream: false }), data(1, Buffer.alloc(16_000), false)]));
      await c.until(() => c.stream(1).reset !== undefined, 3_000);
      expect([c.stream(1).status, c.stream(1).dataBytes, c.stream(1).ended]).toEqual([200, 6, true]);
      expect(errorName(c.stream(1).reset ?? -1)).toBe('NO_ERROR');
      // DATA the client had in flight for the reset stream is dropped, and the connection goes on.
      await c.send(data(1, Buffer.alloc(16_000), false));
      await c.send(headers(3, block([[':method', 'GET'], [':scheme', 'http'], [':authority', 'h2.test'], [':path', '/next']])));
      await c.until(() => c.stream(3).ended, 3_000);
      expect(c.stream(3).status).toBe(200);
      expect(c.goaway).toBeUndefined();
    } finally {
      c.destroy();
    }
  });
});
