/**
 * Helpers for the review suites (review-*.test.ts): a scripted raw backend whose connections a test drives by hand
 * (half-open allowed), a proxy in front of given endpoints on a 127.0.0.2xx address, and the admin dump.
 */
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import { LoopbackServer } from './fault-helpers';
import { get, RunningProxy, sleep, startProxy } from './helpers';

/** A net server on `host` that hands every connection to `onConnection`; allowHalfOpen so a test decides when to end. */
export class ScriptBackend extends LoopbackServer {
  public connections = 0;

  public constructor(
    host: string,
    private readonly onConnection: (s: net.Socket, id: number) => void,
  ) {
    super(host, { allowHalfOpen: true });
  }

  protected accept(s: net.Socket): void {
    this.onConnection(s, this.connections++);
  }
}

/** Reads request heads (and Content-Length bodies) off a raw socket and calls `each` for every complete request. */
export function onRequests(s: net.Socket, each: (head: string, body: Buffer) => void): void {
  let buf = Buffer.alloc(0);
  s.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const n = cl ? Number(cl[1]) : 0;
      if (buf.length < end + 4 + n) return;
      const body = buf.subarray(end + 4, end + 4 + n);
      buf = buf.subarray(end + 4 + n);
      each(head, body);
    }
  });
}

/** The proxy in front of `endpoints`, listening on `host`; outlier detection off unless `extra` says otherwise. */
export function proxyFor(
  host: string,
  endpoints: ReadonlyArray<{ host: string; port: number }>,
  extra: object = {},
): Promise<RunningProxy> {
  return startProxy(
    {
      upstream: { port: 1, sources: [{ kind: 'static', endpoints: endpoints.map((e) => ({ address: e.host, port: e.port })) }] },
      outlierDetection: { consecutiveFailures: 1_000 },
      ...extra,
    } as never,
    { host },
  );
}

export interface Dump {
  activeRequests: number;
  queued: number;
  endpoints: Array<{ id: string; inFlight: number; failures: number; successes: number }>;
}

export async function dump(p: RunningProxy): Promise<Dump> {
  return JSON.parse((await get(p.host, p.adminPort, '/admin/endpoints')).body) as Dump;
}

/** Waits until the proxy reports no request in flight anywhere; returns the last dump. */
export async function settled(p: RunningProxy, ms = 3_000): Promise<Dump> {
  const end = Date.now() + ms;
  let d = await dump(p);
  while (Date.now() < end && (d.activeRequests !== 0 || d.endpoints.some((e) => e.inFlight !== 0))) {
    await sleep(50);
    d = await dump(p);
  }
  return d;
}

/** A raw client socket, half-open allowed: it keeps its side open after the proxy's FIN unless told otherwise. */
export function connectRaw(host: string, port: number, allowHalfOpen = false): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, allowHalfOpen });
    s.setNoDelay(true);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Collects what a socket receives and when it closes. */
export class Collector {
  public buf = Buffer.alloc(0);
  public ended = false;
  public closed = false;

  public constructor(public readonly s: net.Socket) {
    s.on('data', (d: Buffer) => (this.buf = Buffer.concat([this.buf, d])));
    s.on('end', () => (this.ended = true));
    s.on('close', () => (this.closed = true));
    s.on('error', () => undefined);
  }

  public get text(): string {
    return this.buf.toString('latin1');
  }

  /** Resolves true once `cond` holds, false after `ms`. */
  public async until(cond: (c: Collector) => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (cond(this)) return true;
      await sleep(10);
    }
    return cond(this);
  }
}

/**
 * A client with tiny socket buffers (SO_RCVBUF 4 KiB, MSS 536: the proxy's path to it holds only ~100 KiB) that sends
 * `request`, reads nothing for `sleepMs`, then reads `want` bytes, then (with `eofWaitMs`) waits that long for the
 * proxy to close the connection. Node cannot shrink a TCP socket's buffers, so this client is a python3 child.
 * Resolves with the bytes read and the ms from the last byte to the proxy's close (-1: still open).
 */
export function tinyBufferClient(
  host: string,
  port: number,
  request: string,
  want: number,
  sleepMs: number,
  eofWaitMs = 0,
): Promise<{ bytes: number; closedAfterMs: number }> {
  const script = [
    'import socket, sys, time',
    's = socket.socket()',
    's.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)',
    's.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)',
    's.connect((sys.argv[1], int(sys.argv[2])))',
    "s.sendall(sys.argv[3].encode('latin1'))",
    'time.sleep(float(sys.argv[5]))',
    'want = int(sys.argv[4]); n = 0',
    'while n < want:',
    '    d = s.recv(65536)',
    '    if not d: break',
    '    n += len(d)',
    'eof = -1',
    'if float(sys.argv[6]) > 0:',
    '    s.settimeout(float(sys.argv[6]))',
    '    t0 = time.monotonic()',
    '    try:',
    '        while s.recv(65536): pass',
    '        eof = int((time.monotonic() - t0) * 1000)',
    '    except socket.timeout: pass',
    '    except ConnectionResetError: eof = int((time.monotonic() - t0) * 1000)',
    "print(n, eof, flush=True)",
    's.close()',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const args = ['-c', script, host, String(port), request, String(want), String(sleepMs / 1000), String(eofWaitMs / 1000)];
    execFile('python3', args, { timeout: 10_000 + eofWaitMs }, (err, out) => {
      if (err) return reject(err);
      const [bytes, closedAfterMs] = String(out).trim().split(' ').map(Number);
      resolve({ bytes, closedAfterMs });
    });
  });
}
