/**
 * The HTTP/2 upstream session pool, against node:http2 endpoints: more sessions at MAX_CONCURRENT_STREAMS, GOAWAY
 * drains, refused streams go to another endpoint with their body intact, and a session whose PINGs go unanswered is
 * found dead (the pool itself, with short ping times).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Deadlines } from '../../src/proxy/deadlines';
import { UpstreamEndpoint } from '../../src/proxy/discovery/endpoint-set';
import type { ConnectionOwner, UpstreamConnection } from '../../src/proxy/upstream/connection-owner';
import { H2Pools } from '../../src/proxy/upstream/h2-pool';
import { cleanTmp, RunningProxy, sleep, startProxy } from './helpers';

jest.setTimeout(15_000);

const HOSTS = ['127.0.0.91', '127.0.0.92'];

interface H2Backend {
  readonly host: string;
  readonly port: number;
  readonly server: http2.Http2Server;
  readonly sessions: http2.ServerHttp2Session[];
  /** Most streams open at once on one session. */
  peakStreams: number;
}

type StreamHandler = (st: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer, b: H2Backend) => void;

let backends: H2Backend[] = [];
let proxy: RunningProxy | undefined;
let client: http2.ClientHttp2Session | undefined;

async function startH2Backend(host: string, handler: StreamHandler, settings: http2.Settings = {}): Promise<H2Backend> {
  const server = http2.createServer({ settings });
  const b: H2Backend = { host, port: 0, server, sessions: [], peakStreams: 0 };
  const open = new Map<http2.ServerHttp2Session, number>();
  server.on('session', (s) => {
    b.sessions.push(s);
    open.set(s, 0);
  });
  server.on('stream', (st, headers) => {
    const s = st.session as http2.ServerHttp2Session;
    open.set(s, (open.get(s) ?? 0) + 1);
    b.peakStreams = Math.max(b.peakStreams, open.get(s) ?? 0);
    st.on('close', () => open.set(s, (open.get(s) ?? 1) - 1));
    st.on('error', () => undefined);
    const chunks: Buffer[] = [];
    st.on('data', (d: Buffer) => chunks.push(d));
    st.on('end', () => handler(st, headers, Buffer.concat(chunks), b));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return Object.assign(b, { port: (server.address() as AddressInfo).port });
}

const answerAfter =
  (ms: number): StreamHandler =>
  (st, _h, body, b) =>
    setTimeout(() => {
      if (st.destroyed) return;
      st.respond({ ':status': 200, 'x-backend': b.host });
      st.end(`${b.host} ${body.length}`);
    }, ms);

async function setup(handlers: readonly StreamHandler[], settings: http2.Settings = {}): Promise<http2.ClientHttp2Session> {
  backends = await Promise.all(handlers.map((h, i) => startH2Backend(HOSTS[i], h, settings)));
  const endpoints = backends.map((b) => ({ address: b.host, port: b.port }));
  proxy = await startProxy(
    { upstream: { port: 1, sources: [{ kind: 'static', endpoints }] }, algorithm: { kind: 'round-robin' } } as never,
    { listener: { protocol: 'http2' } },
  );
  return (client = http2.connect(`http://${proxy.host}:${proxy.port}`));
}

afterEach(async () => {
  client?.destroy();
  client = undefined;
  await proxy?.stop();
  proxy = undefined;
  for (const b of backends) {
    for (const s of b.sessions) s.destroy();
    await new Promise<void>((resolve) => b.server.close(() => resolve()));
  }
  backends = [];
});
afterAll(cleanTmp);

function call(s: http2.ClientHttp2Session, method = 'GET', body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': '/' };
    if (body) headers['content-length'] = String(body.length);
    const st = s.request(headers, { endStream: body === undefined });
    let status = 0;
    let text = '';
    st.on('response', (h) => (status = Number(h[':status'])));
    st.on('data', (d: Buffer) => (text += d.toString()));
    st.on('error', reject);
    st.on('end', () => resolve({ status, body: text }));
    if (body) st.end(body);
  });
}

describe('the HTTP/2 upstream session pool', () => {
  test('opens more sessions to an endpoint that allows 2 concurrent streams, and all 10 calls succeed in parallel', async () => {
    const c = await setup([answerAfter(300)], { maxConcurrentStreams: 2 });
    const t0 = Date.now();
    const replies = await Promise.all(Array.from({ length: 10 }, () => call(c)));
    const took = Date.now() - t0;
    const b = backends[0];
    console.log(`10 calls, endpoint MAX_CONCURRENT_STREAMS=2: ${b.sessions.length} sessions, peak ${b.peakStreams} streams on one, ${took} ms`);
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(b.peakStreams).toBeLessThanOrEqual(2);
    expect(b.sessions.length).toBeGreaterThanOrEqual(5);
    expect(took).toBeLessThan(900); // in parallel: one session would take 5 x 300 ms
  });

  test('a GOAWAY drains: the calls in flight finish, later calls go on a new session, none fails', async () => {
    const c = await setup([answerAfter(300)]);
    expect((await call(c)).status).toBe(200); // the pool holds one session now
    const b = backends[0];
    const inFlight = Array.from({ length: 5 }, () => call(c));
    await sleep(100);
    for (const s of b.sessions) s.close(); // graceful: GOAWAY with the last stream id, streams finish
    await sleep(50);
    const later = Array.from({ length: 5 }, () => call(c));
    const replies = await Promise.all([...inFlight, ...later]);
    console.log(`GOAWAY drain: ${b.sessions.length} sessions`, replies.map((r) => r.status).join(' '));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(b.sessions.length).toBe(2);
  });

  test('a stream above the last stream id of a GOAWAY goes to another endpoint; the one below it finishes', async () => {
    let first = -1;
    let ignored = 0;
    const c = await setup([
      (st, _h, body, b) => {
        if (first < 0) {
          first = st.id ?? 0;
          answerAfter(200)(st, _h, body, b);
          return;
        }
        ignored++;
        st.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, first); // "I processed up to `first`": this one was not
      },
      answerAfter(0),
    ]);
    const replies = await Promise.all(Array.from({ length: 4 }, () => call(c, 'POST', Buffer.from('payload'))));
    console.log(`GOAWAY last stream id ${first}: ${ignored} stream(s) above it, replies`, replies.map((r) => r.body));
    expect(ignored).toBeGreaterThanOrEqual(1);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(replies.filter((r) => r.body.startsWith(HOSTS[0]))).toHaveLength(1);
  });

  test('a POST whose stream an endpoint refuses goes to another endpoint with the same body bytes', async () => {
    let refused = 0;
    const received: string[] = [];
    const c = await setup([
      (st) => {
        refused++;
        st.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      },
      (st, _h, body, b) => {
        received.push(createHash('sha256').update(body).digest('hex'));
        st.respond({ ':status': 200 });
        st.end(`${b.host} ${body.length}`);
      },
    ]);
    const bodies = Array.from({ length: 4 }, () => randomBytes(20_000));
    const replies = [];
    for (const body of bodies) replies.push(await call(c, 'POST', body));
    console.log(`REFUSED_STREAM: ${refused} refused, replies`, replies.map((r) => r.body));
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(replies).toEqual(bodies.map((body) => ({ status: 200, body: `${HOSTS[1]} ${body.length}` })));
    expect(received).toEqual(bodies.map((body) => createHash('sha256').update(body).digest('hex')));
  });
});

describe('responses cut short', () => {
  const cutAfterFirstBytes: StreamHandler = (st) => {
    st.respond({ ':status': 200, 'content-type': 'application/grpc' });
    st.write(Buffer.from([0, 0, 0, 0, 2, 0x68, 0x69])); // one gRPC message, "hi"
    setTimeout(() => st.session?.destroy(), 50); // then the endpoint's connection dies: no trailers, no END_STREAM
  };

  test('fails the client stream, never a clean end, when the endpoint dies mid-response (http2)', async () => {
    const c = await setup([cutAfterFirstBytes]);
    const outcome = await new Promise<string>((resolve) => {
      const st = c.request({ ':path': '/' });
      st.resume();
      st.on('error', () => undefined); // the reset; 'close' follows
      st.on('end', () => resolve(`clean end, rstCode ${st.rstCode}`));
      st.on('close', () => resolve(`reset, rstCode ${st.rstCode}`));
    });
    expect(outcome).toMatch(/^reset, rstCode [1-9]/);
  });

  test('fails a gRPC call with UNAVAILABLE in its trailers when the endpoint dies after a message', async () => {
    backends = [await startH2Backend(HOSTS[0], cutAfterFirstBytes)];
    proxy = await startProxy(
      { upstream: { port: 1, sources: [{ kind: 'static', endpoints: [{ address: HOSTS[0], port: backends[0].port }] }] } } as never,
      { listener: { protocol: 'grpc' } },
    );
    const c = (client = http2.connect(`http://${proxy.host}:${proxy.port}`));
    const r = await new Promise<{ data: number; trailers?: http2.IncomingHttpHeaders; rst?: number }>((resolve) => {
      const st = c.request({ ':method': 'POST', ':path': '/test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers' });
      let data = 0;
      let trailers: http2.IncomingHttpHeaders | undefined;
      st.on('data', (d: Buffer) => (data += d.length));
      st.on('trailers', (t) => (trailers = t));
      st.on('close', () => resolve({ data, trailers, rst: st.rstCode }));
      st.end(Buffer.from([0, 0, 0, 0, 0]));
    });
    console.log('gRPC call cut mid-response:', r);
    expect(r.data).toBe(7);
    expect(r.trailers?.['grpc-status']).toBe('14');
  });
});

/** A test owner of one try: records what the pool and the stream report. */
class Owner implements ConnectionOwner {
  public conn: UpstreamConnection | undefined;
  public failure: { kind: string; detail: string; at: number } | undefined;
  public onConnected(conn: UpstreamConnection): void {
    this.conn = conn;
    conn.send({ method: 'GET', target: '/', headers: ['host', 'x'], requestId: '1', bodyLength: 0, upgrade: false, hashKey: undefined }, false);
  }
  public onInformational(): void {}
  public onResponseHead(): void {}
  public onResponseData(): boolean {
    return true;
  }
  public onResponseEnd(): void {}
  public onResponseTrailers(): void {}
  public onUpgrade(): void {}
  public onWritable(): void {}
  public onFailure(kind: string, detail: string): void {
    this.failure = { kind, detail, at: Date.now() };
  }
}

describe('dead sessions', () => {
  test('a session whose endpoint stops answering PINGs is destroyed within interval + timeout, failing its stream', async () => {
    // An endpoint that completes the HTTP/2 handshake (its SETTINGS and the ACK of ours), then never says a word.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((sock) => {
      sockets.push(sock);
      sock.on('error', () => undefined);
      sock.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0]));
      sock.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.93', resolve));
    const port = (silent.address() as AddressInfo).port;
    const pools = new H2Pools({
      clock: new Deadlines(1_000),
      timeouts: { connectMs: 1_000, requestMs: 30_000, idleMs: 30_000 },
      pingIntervalMs: 200,
      pingTimeoutMs: 300,
    });
    const owner = new Owner();
    const ep = new UpstreamEndpoint(`127.0.0.93:${port}`, '127.0.0.93', port, 1, 'default');
    try {
      const t0 = Date.now();
      pools.acquire(ep, owner);
      for (let i = 0; i < 60 && owner.failure === undefined; i++) await sleep(25);
      const f = owner.failure;
      console.log('dead session found:', f && { ...f, at: f.at - t0 });
      expect(owner.conn).toBeDefined();
      expect(f?.kind).toBe('reset');
      expect(f?.detail).toMatch(/did not answer a PING within 300 ms/);
      expect((f?.at ?? Infinity) - t0).toBeLessThan(200 + 300 + 2 * 200 + 100);
      expect(pools.openTo(ep)).toBe(0);
    } finally {
      pools.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
