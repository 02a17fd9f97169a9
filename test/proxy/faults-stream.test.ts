/**
 * Fault suite, big bodies: a 1 GiB upload to a backend that reads with pauses, and a 1 GiB download to a client that
 * reads with pauses. The bytes must arrive intact (sha256 computed while streaming, at both ends) and the proxy must
 * hold them back rather than buffer them: its peak VmRSS, sampled every 100 ms, stays bounded.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RssSampler, within } from './fault-helpers';
import { cleanTmp, RunningProxy, startProxy } from './helpers';

const BACKEND_HOST = '127.0.0.160';
const MiB = 1024 * 1024;
const SIZE = 1024 * MiB;
/** A reader stops this long every PAUSE_EVERY bytes: long enough that a proxy without backpressure would buffer far past the RSS bound. */
const PAUSE_MS = 300;
const PAUSE_EVERY = 128 * MiB;
const PAUSES = SIZE / PAUSE_EVERY - 1;
/**
 * Idle, the proxy is ~63 MiB on the pod's Node; dead 64 KiB read buffers awaiting a GC come on top while bytes flow
 * (measured: peak 151-156 MiB on Node 24, ~114 MiB on Node 20, for 1 GiB to a slow reader; the previous proxy: ~145).
 */
const RSS_BOUND_MB = 170;
/** The V8 flags the pod runs the proxy with (PROXY_NODE_FLAGS in src/constructs/proxy.ts; not imported: it pulls in cdk8s). */
const POD_FLAGS = '--max-semi-space-size=4';
/**
 * Bytes written by one end and not yet read by the other: what sits in the proxy and in four loopback socket buffers.
 * A few MiB per socket when the proxy holds back; hundreds of MiB when it buffers for the slow side.
 */
const IN_FLIGHT_BOUND = 64 * MiB;

/** Both ends live in this process, so the bytes between them are counted exactly. */
class Flow {
  public written = 0;
  public read = 0;
  public maxInFlight = 0;
  public wrote(n: number): void {
    this.written += n;
    if (this.written - this.read > this.maxInFlight) this.maxInFlight = this.written - this.read;
  }
}

/** 1 MiB blocks of one random pattern, each stamped with its index every 64 KiB so that no two blocks are equal. */
function* blocks(total: number): Generator<Buffer> {
  const pattern = randomBytes(MiB);
  for (let i = 0; i * MiB < total; i++) {
    const b = Buffer.allocUnsafe(Math.min(MiB, total - i * MiB));
    pattern.copy(b, 0, 0, b.length);
    for (let off = 0; off + 8 <= b.length; off += 65_536) {
      b.writeUInt32BE(i, off);
      b.writeUInt32BE(off, off + 4);
    }
    yield b;
  }
}

/** Writes `total` bytes of blocks() to `out`, honouring backpressure; returns their sha256. */
async function writeAll(out: http.ClientRequest | http.ServerResponse, total: number, flow: Flow): Promise<string> {
  const h = createHash('sha256');
  for (const b of blocks(total)) {
    h.update(b);
    flow.wrote(b.length);
    if (!out.write(b)) await new Promise<void>((resolve) => out.once('drain', resolve));
  }
  out.end();
  return h.digest('hex');
}

/** Reads a stream to its end with a pause every PAUSE_EVERY bytes; returns its length and sha256. */
function readSlowly(src: http.IncomingMessage, flow: Flow): Promise<{ bytes: number; sha: string }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let bytes = 0;
    let nextPause = PAUSE_EVERY;
    src.on('data', (d: Buffer) => {
      h.update(d);
      bytes += d.length;
      flow.read += d.length;
      if (bytes >= nextPause) {
        nextPause += PAUSE_EVERY;
        src.pause();
        setTimeout(() => src.resume(), PAUSE_MS);
      }
    });
    src.on('end', () => resolve({ bytes, sha: h.digest('hex') }));
    src.on('error', reject);
    src.on('aborted', () => reject(new Error(`aborted after ${bytes} bytes`)));
  });
}

describe('fault suite: 1 GiB bodies through the proxy', () => {
  let backend: http.Server | undefined;
  let proxy: RunningProxy | undefined;

  afterEach(async () => {
    await proxy?.stop('SIGKILL');
    proxy = undefined;
    if (backend) {
      const b = backend;
      await new Promise<void>((resolve) => {
        b.close(() => resolve());
        b.closeAllConnections();
      });
    }
    backend = undefined;
  });
  afterAll(cleanTmp);

  async function setup(handler: http.RequestListener): Promise<RunningProxy> {
    const b = (backend = http.createServer(handler));
    await new Promise<void>((resolve) => b.listen(0, BACKEND_HOST, () => resolve()));
    const port = (b.address() as AddressInfo).port;
    // requestMs far below the transfer time: it counts from the request's end, so it must cut neither body.
    proxy = await startProxy(
      {
        upstream: { port, sources: [{ kind: 'static', endpoints: [{ address: BACKEND_HOST }] }] },
        timeouts: { requestMs: 2_000, idleMs: 5_000 },
      },
      { env: { NODE_OPTIONS: POD_FLAGS } },
    );
    return proxy;
  }

  function report(what: string, ms: number, peak: number, flow: Flow): void {
    console.log(
      `${what}: ${ms} ms (${((SIZE / MiB / ms) * 1000).toFixed(0)} MiB/s incl. ${PAUSES} pauses of ${PAUSE_MS} ms), ` +
        `proxy peak VmRSS ${peak.toFixed(1)} MiB, most bytes in flight ${(flow.maxInFlight / MiB).toFixed(1)} MiB`,
    );
  }

  test('a 1 GiB upload to a backend that reads with pauses arrives intact, held back by the proxy, with bounded RSS', async () => {
    const flow = new Flow();
    let received: (r: { bytes: number; sha: string } | Error) => void = () => undefined;
    const atBackend = new Promise<{ bytes: number; sha: string }>((resolve, reject) => {
      received = (r) => (r instanceof Error ? reject(r) : resolve(r));
    });
    const p = await setup((req, res) => {
      readSlowly(req, flow).then((r) => {
        received(r);
        res.end(JSON.stringify(r));
      }, received);
    });
    const rss = new RssSampler(p.child.pid!);
    const t0 = Date.now();
    const req = http.request({ host: p.host, port: p.port, method: 'POST', path: '/upload', agent: false, headers: { 'content-length': SIZE } });
    const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    const sent = await within(writeAll(req, SIZE, flow), 60_000, 'upload written');
    const [got, answer] = await within(Promise.all([atBackend, reply]), 30_000, 'upload answered');
    const { peak } = rss.stop();
    report('1 GiB upload', Date.now() - t0, peak, flow);
    expect(answer.status).toBe(200);
    expect(got.bytes).toBe(SIZE);
    expect(got.sha).toBe(sent);
    expect(flow.maxInFlight).toBeLessThan(IN_FLIGHT_BOUND);
    expect(peak).toBeLessThan(RSS_BOUND_MB);
  }, 90_000);

  test('a 1 GiB chunked download to a client that reads with pauses arrives intact, held back by the proxy, with bounded RSS', async () => {
    const flow = new Flow();
    let sent: Promise<string> | undefined;
    const p = await setup((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no length: chunked
      sent = writeAll(res, SIZE, flow);
    });
    const rss = new RssSampler(p.child.pid!);
    const t0 = Date.now();
    const got = await within(
      new Promise<{ status: number; chunked: boolean; bytes: number; sha: string }>((resolve, reject) => {
        const req = http.get({ host: p.host, port: p.port, path: '/download', agent: false }, (res) => {
          readSlowly(res, flow).then(
            (r) => resolve({ status: res.statusCode ?? 0, chunked: res.headers['transfer-encoding'] === 'chunked', ...r }),
            reject,
          );
        });
        req.on('error', reject);
      }),
      90_000,
      'download',
    );
    const { peak } = rss.stop();
    report('1 GiB download', Date.now() - t0, peak, flow);
    expect(got.status).toBe(200);
    expect(got.chunked).toBe(true);
    expect(got.bytes).toBe(SIZE);
    expect(got.sha).toBe(await sent);
    expect(flow.maxInFlight).toBeLessThan(IN_FLIGHT_BOUND);
    expect(peak).toBeLessThan(RSS_BOUND_MB);
  }, 90_000);
});
