/**
 * Helpers for the fault suites (faults*.test.ts, bugs.test.ts): servers in child processes (so a test can SIGKILL
 * one, or keep a fast backend off the test's event loop), a raw backend that answers with exactly the bytes a case
 * gives, a raw client that reads one response at a time, the proxy child's RSS, and latency percentiles.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { parseResponses, RawResponse, Step } from './hostile-helpers';
import { sleep } from './helpers';

// ---- memory and latency ----

/** VmRSS of a process in MiB (Linux /proc); NaN once it is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Samples a process's VmRSS every `everyMs` until stop(); keeps the peak. */
export class RssSampler {
  public peak = 0;
  public last = NaN;
  /** Every sample, in MiB. */
  public readonly samples: number[] = [];
  private readonly timer: NodeJS.Timeout;

  public constructor(private readonly pid: number, everyMs = 100) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  public sample(): number {
    const v = rssMb(this.pid);
    if (!Number.isNaN(v)) {
      this.last = v;
      this.samples.push(v);
      if (v > this.peak) this.peak = v;
    }
    return v;
  }

  public stop(): { peak: number; last: number } {
    clearInterval(this.timer);
    this.sample();
    return { peak: this.peak, last: this.last };
  }
}

/** The p-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Rejects with a message naming `what` when `p` takes longer than `ms`: no test waits forever. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

// ---- servers in child processes ----

/**
 * An HTTP backend (node:http) for a child process. `?ms=N` delays the answer, `?chunks=N&every=M` streams N chunks
 * M ms apart. Every request that is not a GET is reported on stdout as a JSON line, when it arrives and when its body
 * ended, so a test can act while one is in flight (SIGKILL it) and count bodies afterwards.
 */
const HTTP_BACKEND = `
const http = require('node:http');
const host = process.argv[1];
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const server = http.createServer({ keepAliveTimeout: 30000 }, (req, res) => {
  const q = new URL(req.url, 'http://x').searchParams;
  const ms = Number(q.get('ms') || 0);
  const post = req.method !== 'GET';
  if (post) say({ event: 'head', method: req.method, url: req.url });
  let n = 0;
  req.on('data', (d) => (n += d.length));
  req.on('end', () => {
    if (post) say({ event: 'body', method: req.method, url: req.url, bytes: n });
    const answer = () => {
      res.setHeader('x-backend', host);
      res.end(host + ' ' + n + '\\n');
    };
    if (ms > 0) setTimeout(answer, ms);
    else answer();
  });
});
server.listen(0, host, () => say({ port: server.address().port }));
`;

/**
 * The fastest backend this machine allows for load tests: raw net, bodiless requests only, one fixed answer per
 * request head. In its own process so that it does not share the test's event loop.
 */
const FAST_BACKEND = `
const net = require('node:net');
const host = process.argv[1];
const RES = Buffer.from('HTTP/1.1 200 OK\\r\\ncontent-length: 3\\r\\n\\r\\nok\\n');
const server = net.createServer((s) => {
  let buf = '';
  s.setNoDelay(true);
  s.on('data', (d) => {
    buf += d.toString('latin1');
    let n = 0;
    let i;
    while ((i = buf.indexOf('\\r\\n\\r\\n')) >= 0) {
      buf = buf.slice(i + 4);
      n++;
    }
    if (n === 1) s.write(RES);
    else if (n > 1) s.write(Buffer.concat(Array(n).fill(RES)));
  });
  s.on('error', () => undefined);
});
server.listen(0, host, () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
`;

export interface ChildServer {
  readonly host: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** JSON lines the child printed (after the first, which gave the port). */
  readonly events: Array<Record<string, unknown>>;
  readonly exited: Promise<void>;
  /** SIGKILL (no goodbye on any socket) and wait for the exit. */
  kill(): Promise<void>;
}

async function spawnServer(script: string, host: string): Promise<ChildServer> {
  const child = spawn(process.execPath, ['-e', script, host], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: ChildServer['events'] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const port = await within(
    new Promise<number>((resolve, reject) => {
      let buf = '';
      let port = 0;
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const o = JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
          buf = buf.slice(i + 1);
          if (port === 0 && typeof o.port === 'number') resolve((port = o.port));
          else events.push(o);
        }
      });
      child.once('exit', (code) => reject(new Error(`backend on ${host} exited with ${code}: ${err}`)));
    }),
    5_000,
    `backend child on ${host}`,
  );
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { host, port, child, events, exited, kill };
}

export const spawnHttpBackend = (host: string): Promise<ChildServer> => spawnServer(HTTP_BACKEND, host);
export const spawnFastBackend = (host: string): Promise<ChildServer> => spawnServer(FAST_BACKEND, host);

// ---- a raw backend ----

/** What a raw backend does with one request: the bytes and pauses to send, then whether to close. */
export interface RawReply {
  readonly send: readonly Step[];
  /** Half-close after sending (end); `destroy` resets instead. Left open otherwise. */
  readonly close?: 'end' | 'destroy';
  /**
   * The reply broke HTTP/1.1 framing: a proxy must never send another request on this connection. One that does is
   * recorded in `misuse`.
   */
  readonly poisoned?: boolean;
}

/** A backend on net that answers each request head (and its Content-Length body) with the reply `answer` gives. */
/** A net server on `host` and a free port that keeps its sockets, so that stop() ends every one of them. */
export abstract class LoopbackServer {
  public port = 0;
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  protected constructor(
    public readonly host: string,
    private readonly options: net.ServerOpts = {},
  ) {}

  /** A new connection (already tracked, its errors swallowed). */
  protected abstract accept(s: net.Socket): void;

  public async start(): Promise<this> {
    const server = (this.server = net.createServer(this.options, (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
      this.accept(s);
    }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.host, () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    return this;
  }

  public async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export class RawBackend extends LoopbackServer {
  /** Request heads as received, in order. */
  public readonly heads: string[] = [];
  /** Requests that arrived on a connection after a poisoned reply, with the target that reply answered. */
  public readonly misuse: Array<{ readonly after: string; readonly head: string }> = [];

  public constructor(
    host: string,
    private readonly answer: (target: string, head: string) => RawReply,
  ) {
    super(host);
  }

  protected accept(s: net.Socket): void {
    let buf = Buffer.alloc(0);
    let poisonedBy: string | undefined;
    let busy = false;
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = buf.subarray(0, end).toString('latin1');
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const bodyLen = cl ? Number(cl[1]) : 0;
        if (buf.length < end + 4 + bodyLen) break;
        buf = buf.subarray(end + 4 + bodyLen);
        this.heads.push(head);
        const target = head.split(' ')[1] ?? '';
        if (poisonedBy !== undefined) this.misuse.push({ after: poisonedBy, head });
        const reply = this.answer(target, head);
        for (const step of reply.send) {
          if (s.destroyed) break;
          if (typeof step === 'object' && !Buffer.isBuffer(step)) await sleep(step.pauseMs);
          else s.write(typeof step === 'string' ? Buffer.from(step, 'latin1') : step);
        }
        if (reply.poisoned) poisonedBy ??= target;
        if (reply.close === 'end') s.end();
        else if (reply.close === 'destroy') s.destroy();
        if (reply.close) break;
      }
      busy = false;
    };
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      void pump();
    });
  }
}

/** A 200 with a Content-Length body. */
export function ok(body = 'ok\n', extra = ''): string {
  return `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

// ---- a raw client ----

/** One client connection that sends exact bytes and reads the answers one at a time. */
export class RawClient {
  public closed = false;
  public closedAt = 0;
  private buf = Buffer.alloc(0);
  private taken = 0;
  private wake: (() => void) | undefined;

  private constructor(public readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      this.wake?.();
    });
  }

  public static connect(host: string, port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  public send(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, (e) => (e ? reject(e) : resolve())),
    );
  }

  /** Everything received so far. */
  public get received(): Buffer {
    return this.buf;
  }

  /**
   * The next whole response (a close-delimited one once the connection closed), or an error naming what arrived
   * when the connection closes first or `ms` pass.
   */
  public async next(ms = 3_000): Promise<RawResponse> {
    const deadline = Date.now() + ms;
    for (;;) {
      const { responses } = parseResponses(this.buf);
      const r = responses[this.taken];
      if (r !== undefined && (this.framed(r) || this.closed)) {
        this.taken++;
        return r;
      }
      if (this.closed) throw new Error(`connection closed before response ${this.taken + 1}; received: ${JSON.stringify(this.buf.toString('latin1').slice(0, 400))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response ${this.taken + 1} within ${ms} ms; received: ${JSON.stringify(this.buf.toString('latin1').slice(0, 400))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }

  /** Resolves true once the peer closed, false after `ms`. */
  public async waitClosed(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await sleep(10);
    return this.closed;
  }

  public destroy(): void {
    this.socket.destroy();
  }

  private framed(r: RawResponse): boolean {
    if (r.status < 200 || r.status === 204 || r.status === 304) return true;
    return /\r\n(content-length|transfer-encoding):/i.test(r.head);
  }
}
