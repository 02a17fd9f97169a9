/**
 * gRPC through the proxy with a real client and servers (@grpc/grpc-js): every call on one client connection is
 * balanced on its own; streams pass through with backpressure; UNAVAILABLE and killed backends are retried where
 * that is safe; deadlines; the proxy's own errors are gRPC statuses.
 */
import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import { freePort, RunningProxy, sleep, startProxy, waitFor } from './helpers';
import { EchoClient, grpcClient, grpcFixture, Impl, rssBytes, startGrpcProxy, unary, unarySpread, UnaryResult } from './grpc-helpers';

jest.setTimeout(20_000);

const HOSTS = ['127.0.0.61', '127.0.0.62', '127.0.0.63'];

const fx = grpcFixture(HOSTS);
const setup = (impls: readonly Impl[] = [], extra: object = {}): Promise<EchoClient> => fx.setup(impls, extra);

const delayed =
  (host: string, ms: number): Impl['Unary'] =>
  (call, cb) =>
    setTimeout(() => cb(null, Buffer.from(`${host}:${call.request.toString()}`)), ms);

describe('balancing the calls of one client connection', () => {
  test('round-robin spreads 30 unary calls on one connection in exact thirds', async () => {
    const c = await setup([], { algorithm: { kind: 'round-robin' } });
    const counts = await unarySpread(c, 30);
    console.log('round-robin spread over one connection', counts);
    expect(counts).toEqual({ [HOSTS[0]]: 10, [HOSTS[1]]: 10, [HOSTS[2]]: 10 });
  });

  test.each([['least-connections'], ['power-of-two-choices'], ['peak-ewma']])('%s sends fewer calls to the one slow backend', async (kind) => {
    const c = await setup(
      HOSTS.map((h, i) => ({ Unary: delayed(h, i === 0 ? 120 : 5) })),
      { algorithm: { kind } },
    );
    const counts = await unarySpread(c, 90, 6);
    console.log(`${kind} with ${HOSTS[0]} slow (120 ms vs 5 ms)`, counts);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(90);
    expect(counts[HOSTS[0]] ?? 0).toBeLessThan(15); // a third would be 30
    expect(counts[HOSTS[1]]).toBeGreaterThan(30);
    expect(counts[HOSTS[2]]).toBeGreaterThan(30);
  });
});

describe('streams', () => {
  test('server-streaming passes 200 messages in order with their exact bytes', async () => {
    const c = await setup(
      HOSTS.map(() => ({
        ServerStream: (call) => {
          const n = Number(call.request.toString());
          for (let i = 0; i < n; i++) call.write(Buffer.from(`msg-${i}-${'x'.repeat(i * 7)}`));
          call.end();
        },
      })),
    );
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = c.ServerStream(Buffer.from('200'), new grpc.Metadata(), {});
      s.on('data', (d: Buffer) => got.push(d.toString()));
      s.on('error', reject);
      s.on('end', resolve);
    });
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `msg-${i}-${'x'.repeat(i * 7)}`));
  });

  test('a bidi stream echoes 100 messages in order, interleaved with the requests', async () => {
    const c = await setup(
      HOSTS.map(() => ({
        Bidi: (call) => {
          call.on('data', (d: Buffer) => call.write(Buffer.from(`echo:${d.toString()}`)));
          call.on('end', () => call.end());
        },
      })),
    );
    const s = c.Bidi(new grpc.Metadata(), {});
    const got: string[] = [];
    let i = 0;
    // Each request waits for the echo of the one before: a proxy that held either direction would stall here.
    await new Promise<void>((resolve, reject) => {
      s.on('data', (d: Buffer) => {
        got.push(d.toString());
        if (++i < 100) s.write(Buffer.from(`m${i}`));
        else s.end();
      });
      s.on('error', reject);
      s.on('end', resolve);
      s.write(Buffer.from('m0'));
    });
    expect(got).toEqual(Array.from({ length: 100 }, (_, k) => `echo:m${k}`));
  });

  test('backpressure holds: a server streaming 48 MB to a client that does not read is held back, and the proxy stays small', async () => {
    const MSG = 64 * 1024;
    const TOTAL = 768; // messages: 48 MB
    let written = 0;
    let blocked = 0;
    await setup(
      HOSTS.map(() => ({
        ServerStream: (call) => {
          const chunk = Buffer.alloc(MSG, 7);
          const pump = () => {
            while (written < TOTAL) {
              written++;
              if (!call.write(chunk)) {
                blocked++;
                call.once('drain', pump);
                return;
              }
            }
            call.end();
          };
          pump();
        },
      })),
    );
    const p = fx.proxy as RunningProxy;
    const pid = p.child.pid as number;
    const before = rssBytes(pid);
    // A raw HTTP/2 client: a paused node:http2 stream stops granting flow-control window. (grpc-js's own client reads
    // every message into memory whether or not the application reads, so it cannot show backpressure.)
    const session = http2.connect(`http://${p.host}:${p.port}`);
    const st = session.request({ ':method': 'POST', ':path': '/test.Echo/ServerStream', 'content-type': 'application/grpc', te: 'trailers' });
    st.end(grpcFrame(Buffer.from('go')));
    st.pause();
    await sleep(1_500);
    const writtenWhilePaused = written;
    const grown = rssBytes(pid) - before;
    console.log(
      `client not reading: the server wrote ${((writtenWhilePaused * MSG) / 2 ** 20).toFixed(1)} MB of 48 ` +
        `(write() returned false ${blocked} times); proxy RSS grew ${(grown / 2 ** 20).toFixed(1)} MB`,
    );
    let received = 0;
    let trailers: http2.IncomingHttpHeaders = {};
    await new Promise<void>((resolve, reject) => {
      st.on('data', (d: Buffer) => (received += d.length));
      st.on('trailers', (t) => (trailers = t));
      st.on('error', reject);
      st.on('end', resolve);
      st.resume();
    });
    session.close();
    // What windows and buffers on the way hold (the proxy's 1 MiB window to the client, 4 MiB from the backend,
    // socket buffers): a few MB, never the whole stream.
    expect(writtenWhilePaused * MSG).toBeLessThan(12 * 2 ** 20);
    expect(blocked).toBeGreaterThan(0);
    expect(grown).toBeLessThan(16 * 2 ** 20);
    expect(received).toBe(TOTAL * (MSG + 5));
    expect(trailers['grpc-status']).toBe('0');
  });
});

/** A gRPC length-prefixed message: flag 0 (not compressed), 4-byte big-endian length, the bytes. */
function grpcFrame(msg: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

describe('UNAVAILABLE and killed backends', () => {
  test('a backend killed mid-load fails only calls it had in flight; every call started after the kill succeeds', async () => {
    const inFlight = [0, 0, 0];
    const c = await setup(
      HOSTS.map((h, i) => ({
        Unary: (_call, cb) => {
          inFlight[i]++;
          setTimeout(() => {
            inFlight[i]--;
            cb(null, Buffer.from(`${h}:ok`));
          }, i === 0 ? 150 : 20); // the backend to kill holds its calls long enough to have some in flight
        },
      })),
      { algorithm: { kind: 'round-robin' } },
    );
    const results: { start: number; r: UnaryResult }[] = [];
    const t0 = Date.now();
    let killedAt = Infinity;
    let inFlightAtKill = 0;
    const worker = async () => {
      while (Date.now() - t0 < 1_500) {
        const start = Date.now();
        results.push({ start, r: await unary(c, 'x') });
      }
    };
    const killer = (async () => {
      await sleep(400);
      inFlightAtKill = inFlight[0];
      killedAt = Date.now();
      fx.backends[0].server.forceShutdown();
    })();
    await Promise.all([killer, ...Array.from({ length: 6 }, worker)]);
    const after = results.filter((x) => x.start > killedAt);
    const before = results.filter((x) => x.start <= killedAt);
    const failedBefore = before.filter((x) => x.r.code !== 0);
    console.log(
      `backend kill: ${results.length} calls; ${before.length} started before the kill (${failedBefore.length} failed, ` +
        `${inFlightAtKill} were in flight on the killed backend), ${after.length} after (` +
        `${after.filter((x) => x.r.code !== 0).length} failed)`,
      failedBefore.map((x) => `${x.r.code} ${x.r.details}`),
    );
    expect(after.length).toBeGreaterThan(50);
    expect(after.filter((x) => x.r.code !== 0)).toEqual([]);
    // A call the killed backend had already taken may have run there: it is not safe to send again, so it fails
    // with UNAVAILABLE, never a confusing other code, and only those calls may fail.
    expect(failedBefore.length).toBeLessThanOrEqual(6); // the calls in flight at the kill, at most
    expect(failedBefore.length).toBeLessThanOrEqual(inFlightAtKill + 2); // a call on its way there may be lost too
    for (const f of failedBefore) expect(f.r.code).toBe(grpc.status.UNAVAILABLE);
  });

  test('a call a backend answers UNAVAILABLE (Trailers-Only) is retried on another backend and succeeds', async () => {
    const c = await setup(
      HOSTS.map((h, i) => ({
        Unary: (call, cb) =>
          i === 0 ? cb({ code: grpc.status.UNAVAILABLE, details: 'going away' }) : cb(null, Buffer.from(`${h}:${call.request.toString()}`)),
      })),
      { algorithm: { kind: 'round-robin' }, outlierDetection: { consecutiveFailures: 100 } },
    );
    const counts = await unarySpread(c, 9);
    console.log('UNAVAILABLE from one backend, retried', counts, 'calls it saw:', fx.backends[0].calls.Unary);
    expect(counts[HOSTS[0]]).toBeUndefined();
    expect((counts[HOSTS[1]] ?? 0) + (counts[HOSTS[2]] ?? 0)).toBe(9);
    expect(fx.backends[0].calls.Unary).toBeGreaterThanOrEqual(2);
  });

  test('fails with UNAVAILABLE, not retried, when the backend had already streamed a message', async () => {
    const c = await setup(
      HOSTS.map((h) => ({
        ServerStream: (call) => {
          call.write(Buffer.from(`first from ${h}`));
          setTimeout(() => call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'gone mid-stream' }), 50);
        },
      })),
    );
    const got: string[] = [];
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      const s = c.ServerStream(Buffer.from('x'), new grpc.Metadata(), {});
      s.on('data', (d: Buffer) => got.push(d.toString()));
      s.on('error', resolve);
    });
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(got).toHaveLength(1);
    expect(fx.backends.reduce((n, b) => n + (b.calls.ServerStream ?? 0), 0)).toBe(1);
  });
});

describe('deadlines', () => {
  test('fails with DEADLINE_EXCEEDED at the client deadline, and the backend sees its call cancelled', async () => {
    let cancelled = 0;
    const hang: Impl = { Unary: (call) => call.on('cancelled', () => cancelled++) };
    const c = await setup([hang, hang, hang]);
    const t0 = Date.now();
    const r = await unary(c, 'x', 300);
    const took = Date.now() - t0;
    expect(r.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(took).toBeLessThan(1_000);
    await waitFor(() => cancelled === 1, 2_000, 'the backend to see the call cancelled');
  });

  test('the backend gets the remaining grpc-timeout, shortened by the time a failed try took', async () => {
    let first = true;
    const deadlines: number[] = [];
    const impl: Impl = {
      Unary: (call, cb) => {
        deadlines.push(Number(call.getDeadline()));
        if (first) {
          first = false;
          setTimeout(() => cb({ code: grpc.status.UNAVAILABLE, details: 'try elsewhere' }), 300);
        } else {
          cb(null, Buffer.from('ok'));
        }
      },
    };
    const c = await setup([impl, impl, impl]);
    const clientDeadline = Date.now() + 3_000;
    const r = await new Promise<number>((resolve) =>
      c.Unary(Buffer.from('x'), new grpc.Metadata(), { deadline: clientDeadline }, (err) => resolve(err ? err.code : 0)),
    );
    expect(r).toBe(0);
    expect(deadlines).toHaveLength(2);
    console.log('backend deadlines minus the client deadline (ms):', deadlines.map((d) => d - clientDeadline));
    // Each try's deadline is the client's, give or take the transit time (the backend counts from its arrival); the
    // retry's was shortened by the 300 ms the first try took, not reset to a fresh 3 s.
    for (const d of deadlines) expect(d).toBeLessThanOrEqual(clientDeadline + 50);
    expect(deadlines[1]).toBeLessThanOrEqual(deadlines[0] + 50);
    expect(deadlines[1]).toBeGreaterThan(Date.now());
  });
});

/** A raw HTTP/2 gRPC call (an empty message), to see the HTTP status and where grpc-status is. */
function rawGrpcCall(p: RunningProxy): Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${p.host}:${p.port}`);
    session.on('error', reject);
    const st = session.request({ ':method': 'POST', ':path': '/test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers' });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    st.on('response', (h) => (headers = h));
    st.on('trailers', (t) => (trailers = t));
    st.on('error', reject);
    st.resume();
    st.on('close', () => {
      session.close();
      resolve({ headers, trailers });
    });
    st.end(grpcFrame(Buffer.alloc(0)));
  });
}

describe("the proxy's own errors", () => {
  test('fails with UNAVAILABLE naming the cause when no endpoint is discovered, as HTTP 200 Trailers-Only', async () => {
    const dnsPort = await freePort();
    const p = (fx.proxy = await startProxy(
      {
        upstream: { port: 1, sources: [{ kind: 'dns', hostname: 'nothing.invalid', servers: [`127.0.0.1:${dnsPort}`] }] },
      } as never,
      { listener: { protocol: 'grpc' }, waitReady: false },
    ));
    const c = (fx.client = grpcClient(p));
    await waitFor(async () => !/No connection established/.test((await unary(c, 'x', 1_000)).details ?? ''), 5_000, 'the listener');
    const r = await unary(c, 'x');
    expect(r.code).toBe(grpc.status.UNAVAILABLE);
    expect(r.details).toMatch(/no healthy upstream/);
    const raw = await rawGrpcCall(p);
    expect(raw.headers[':status']).toBe(200);
    expect(raw.headers['grpc-status']).toBe('14');
    expect(raw.headers['content-type']).toBe('application/grpc');
  });

  test('fails with UNAVAILABLE, never HTTP 502, when every endpoint refuses the connection', async () => {
    const ports = await Promise.all(HOSTS.map((h) => freePort(h)));
    const p = (fx.proxy = await startGrpcProxy(HOSTS.map((host, i) => ({ host, port: ports[i] }))));
    const r = await unary((fx.client = grpcClient(p)), 'x');
    console.log('all endpoints refusing:', r);
    expect(r.code).toBe(grpc.status.UNAVAILABLE);
    expect(r.details).toMatch(/connect/);
    const raw = await rawGrpcCall(p);
    expect(raw.headers[':status']).toBe(200);
    expect(raw.headers['grpc-status'] ?? raw.trailers['grpc-status']).toBe('14');
  });
});
