/**
 * gRPC flow through the proxy: a client's cancel reaches the backend, and an upload to a backend that does not read is
 * held back by flow control on both sides of the proxy (its memory stays small).
 */
import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { sleep, startProxy, waitFor } from './helpers';
import { grpcFixture, rssBytes } from './grpc-helpers';

jest.setTimeout(20_000);

const HOSTS = ['127.0.0.131', '127.0.0.132', '127.0.0.133'];
const fx = grpcFixture(HOSTS);

test("a client's cancel of a server stream cancels the backend's call", async () => {
  let cancelled = 0;
  let sent = 0;
  const c = await fx.setup(
    HOSTS.map(() => ({
      ServerStream: (call) => {
        const t = setInterval(() => call.write(Buffer.from(`tick ${sent++}`)), 20);
        call.on('cancelled', () => {
          cancelled++;
          clearInterval(t);
        });
      },
    })),
  );
  const s = c.ServerStream(Buffer.from('go'), new grpc.Metadata(), {});
  const err = new Promise<grpc.ServiceError>((resolve) => s.on('error', resolve));
  let got = 0;
  await new Promise<void>((resolve) =>
    s.on('data', () => {
      if (++got === 3) resolve();
    }),
  );
  s.cancel();
  expect((await err).code).toBe(grpc.status.CANCELLED);
  await waitFor(() => cancelled === 1, 2_000, "the backend's call cancelled");
  const after = sent;
  await sleep(100);
  expect(sent).toBe(after); // it stopped writing
});

test('backpressure holds for uploads: a client streaming 48 MB to a backend that does not read is held back', async () => {
  const CHUNK = 64 * 1024;
  const TOTAL = 48 * 2 ** 20;
  // A raw HTTP/2 backend that takes the call but reads nothing until released.
  let release: () => void = () => undefined;
  let received = 0;
  const backend = http2.createServer();
  backend.on('stream', (st) => {
    st.pause();
    release = () => {
      st.on('data', (d: Buffer) => (received += d.length));
      st.on('end', () => {
        st.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        st.on('wantTrailers', () => st.sendTrailers({ 'grpc-status': '0' }));
        st.end();
      });
      st.resume();
    };
  });
  await new Promise<void>((resolve) => backend.listen(0, HOSTS[0], resolve));
  const port = (backend.address() as AddressInfo).port;
  const proxy = await startProxy(
    { upstream: { port, sources: [{ kind: 'static', endpoints: [{ address: HOSTS[0] }] }] } } as never,
    { listener: { protocol: 'grpc' } },
  );
  const session = http2.connect(`http://${proxy.host}:${proxy.port}`);
  try {
    const pid = proxy.child.pid as number;
    const before = rssBytes(pid);
    const st = session.request({ ':method': 'POST', ':path': '/test.Echo/Bidi', 'content-type': 'application/grpc', te: 'trailers' });
    let written = 0;
    let blocked = 0;
    const chunk = Buffer.alloc(CHUNK, 9);
    const done = new Promise<void>((resolve) => {
      const pump = () => {
        while (written < TOTAL) {
          written += CHUNK;
          if (!st.write(chunk)) {
            blocked++;
            st.once('drain', pump);
            return;
          }
        }
        st.end();
        resolve();
      };
      pump();
    });
    let trailers: http2.IncomingHttpHeaders = {};
    st.on('trailers', (t) => (trailers = t));
    const closed = new Promise<void>((resolve) => st.on('close', resolve));
    st.resume();
    await sleep(1_500);
    const writtenWhileStalled = written;
    const grown = rssBytes(pid) - before;
    console.log(
      `backend not reading: the client wrote ${(writtenWhileStalled / 2 ** 20).toFixed(1)} MB of 48 ` +
        `(write() returned false ${blocked} times); proxy RSS grew ${(grown / 2 ** 20).toFixed(1)} MB`,
    );
    release();
    await done;
    await closed;
    expect(writtenWhileStalled).toBeLessThan(12 * 2 ** 20);
    expect(grown).toBeLessThan(16 * 2 ** 20);
    expect(received).toBe(TOTAL);
    expect(trailers['grpc-status']).toBe('0');
  } finally {
    session.destroy();
    await proxy.stop();
    await new Promise<void>((resolve) => backend.close(() => resolve()));
  }
});
