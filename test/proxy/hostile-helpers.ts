/**
 * Helpers for the hostile-input suite: a backend that records every byte it receives and parses it strictly, a raw
 * TCP client that speaks exactly the bytes it is given, and a spawner for the bundled proxy.
 *
 * The backend deliberately does not use node:http: Node's server consumes the socket handle directly, so the raw
 * bytes would never be seen, and its parser would hide exactly the ambiguities we look for.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PROXY_NODE } from './runtime';

/** One request as the backend saw it on the wire. */
export interface BackendRequest {
  readonly conn: number;
  readonly seq: number;
  readonly requestLine: string;
  readonly method: string;
  readonly target: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly rawHead: string;
  body: Buffer;
  /** The body as it arrived, framing included (chunk sizes, extensions, trailers). */
  rawBody: Buffer;
  /** True once the body ended exactly where its framing said; false if the connection closed first. */
  complete: boolean;
  /** Everything in this request that a strict HTTP/1.1 origin would find ambiguous or malformed. */
  readonly problems: string[];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: VCHAR, obs-text, SP and HTAB only (RFC 9110 5.5); no CR, LF, NUL or other controls.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Escapes bytes for failure messages: printable ASCII as is, the rest as \r, \n, \xNN. */
export function show(data: Buffer | string, max = 600): string {
  const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  let s = '';
  for (const c of b.subarray(0, max)) {
    if (c === 0x0d) s += '\\r';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return b.length > max ? `${s}... (${b.length} bytes)` : s;
}

/** Checks a request head against RFC 9112 as a strict origin server would; returns the problems found. */
export function headProblems(rawHead: string): {
  problems: string[];
  method: string;
  target: string;
  requestLine: string;
  headers: Array<[string, string]>;
} {
  const problems: string[] = [];
  if (rawHead.includes('\0')) problems.push('NUL byte in the head');
  const lines = rawHead.split('\r\n');
  const requestLine = lines[0];
  const m = /^([^ ]+) ([^ ]+) HTTP\/1\.([01])$/.exec(requestLine);
  let method = '';
  let target = '';
  if (!m) {
    problems.push(`malformed request line ${JSON.stringify(requestLine)}`);
  } else {
    method = m[1];
    target = m[2];
    if (!TOKEN.test(method)) problems.push(`method is not a token: ${JSON.stringify(method)}`);
    if (!(target.startsWith('/') || (target === '*' && method === 'OPTIONS'))) {
      problems.push(`target is not in origin-form: ${JSON.stringify(target)}`);
    }
  }
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    if (line.includes('\n') || line.includes('\r')) problems.push(`bare CR or LF in header line ${JSON.stringify(line)}`);
    if (line.startsWith(' ') || line.startsWith('\t')) {
      problems.push(`obs-fold continuation line ${JSON.stringify(line)}`);
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    if (colon < 0 || !TOKEN.test(name)) {
      problems.push(`invalid header field name in ${JSON.stringify(line)}`);
      continue;
    }
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) problems.push(`invalid characters in the value of ${name}: ${JSON.stringify(value)}`);
    headers.push([name.toLowerCase(), value]);
  }
  const all = (n: string) => headers.filter(([k]) => k === n).map(([, v]) => v);
  const hosts = all('host');
  if (hosts.length !== 1) problems.push(`${hosts.length} Host headers (${JSON.stringify(hosts)})`);
  const cl = all('content-length');
  const te = all('transfer-encoding');
  if (cl.length > 0 && te.length > 0) problems.push(`both Content-Length ${JSON.stringify(cl)} and Transfer-Encoding ${JSON.stringify(te)}`);
  if (cl.length > 1) problems.push(`${cl.length} Content-Length headers ${JSON.stringify(cl)}`);
  if (cl.some((v) => !/^\d{1,15}$/.test(v))) problems.push(`Content-Length is not a plain decimal: ${JSON.stringify(cl)}`);
  if (te.length > 1 || te.some((v) => v.toLowerCase() !== 'chunked')) {
    problems.push(`Transfer-Encoding other than exactly one "chunked": ${JSON.stringify(te)}`);
  }
  return { problems, method, target, requestLine, headers };
}

type ChunkState =
  | { kind: 'size' }
  | { kind: 'data'; left: number }
  | { kind: 'data-crlf' }
  | { kind: 'trailers' };

interface ConnState {
  id: number;
  buf: Buffer;
  cur?: BackendRequest;
  framing?: { kind: 'length'; left: number } | { kind: 'chunked'; st: ChunkState };
}

/**
 * A backend on 127.0.0.x that records the raw bytes of every connection, splits them into requests with a strict
 * parser, and answers each complete request with 200 "ok" (a slow chunked 200 for targets under /stream/). A
 * request it cannot frame is recorded with its problems, answered 400, and the connection is closed.
 */
export class RecordingBackend {
  readonly requests: BackendRequest[] = [];
  /** Raw bytes per upstream connection, in arrival order. */
  readonly raw = new Map<number, Buffer[]>();
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private nextConn = 0;
  private seq = 0;
  port = 0;

  constructor(readonly host: string) {}

  async start(): Promise<void> {
    this.server = net.createServer((s) => this.onConnection(s));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, this.host, () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Requests recorded since index `from` (take `requests.length` before a case). */
  since(from: number): BackendRequest[] {
    return this.requests.slice(from);
  }

  private onConnection(socket: net.Socket): void {
    const st: ConnState = { id: this.nextConn++, buf: Buffer.alloc(0) };
    this.raw.set(st.id, []);
    this.sockets.add(socket);
    socket.on('data', (d: Buffer) => {
      this.raw.get(st.id)!.push(d);
      st.buf = Buffer.concat([st.buf, d]);
      try {
        this.drain(st, socket);
      } catch (e) {
        const msg = (e as Error).message;
        if (st.cur) st.cur.problems.push(msg);
        else this.requests.push(this.orphan(st, msg));
        socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        st.buf = Buffer.alloc(0);
        socket.removeAllListeners('data');
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private orphan(st: ConnState, msg: string): BackendRequest {
    return {
      conn: st.id,
      seq: this.seq++,
      requestLine: '',
      method: '',
      target: '',
      headers: [],
      rawHead: st.buf.toString('latin1'),
      body: Buffer.alloc(0),
      rawBody: Buffer.alloc(0),
      complete: false,
      problems: [msg],
    };
  }

  private drain(st: ConnState, socket: net.Socket): void {
    for (;;) {
      if (!st.cur) {
        const end = st.buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (st.buf.length > 1_048_576) throw new Error('request head over 1 MiB without an end');
          return;
        }
        const rawHead = st.buf.subarray(0, end).toString('latin1');
        st.buf = st.buf.subarray(end + 4);
        const h = headProblems(rawHead);
        const req: BackendRequest = {
          conn: st.id,
          seq: this.seq++,
          requestLine: h.requestLine,
          method: h.method,
          target: h.target,
          headers: h.headers,
          rawHead,
          body: Buffer.alloc(0),
          rawBody: Buffer.alloc(0),
          complete: false,
          problems: h.problems,
        };
        this.requests.push(req);
        st.cur = req;
        const te = h.headers.find(([k]) => k === 'transfer-encoding');
        const cl = h.headers.find(([k]) => k === 'content-length');
        if (te) {
          if (te[1].toLowerCase() !== 'chunked') throw new Error(`cannot frame Transfer-Encoding ${te[1]}`);
          st.framing = { kind: 'chunked', st: { kind: 'size' } };
        } else if (cl) {
          if (!/^\d{1,15}$/.test(cl[1])) throw new Error(`cannot frame Content-Length ${cl[1]}`);
          st.framing = { kind: 'length', left: Number(cl[1]) };
        } else {
          st.framing = { kind: 'length', left: 0 };
        }
      }
      if (!this.body(st)) return;
      const done = st.cur!;
      done.complete = true;
      st.cur = undefined;
      st.framing = undefined;
      if (done.target.startsWith('/stream/')) this.stream(socket);
      else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 3\r\nx-recorder: 1\r\n\r\nok\n');
    }
  }

  /** A slow chunked answer, six chunks 100 ms apart: a response still streaming when the client misbehaves. */
  private stream(socket: net.Socket): void {
    socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nx-recorder: 1\r\n\r\n');
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed) return clearInterval(timer);
      socket.write(`6\r\npart ${i}\r\n`);
      if (++i === 6) {
        clearInterval(timer);
        socket.write('0\r\n\r\n');
      }
    }, 100);
    socket.once('close', () => clearInterval(timer));
  }

  /** Consumes body bytes, keeping the raw ones too; true when the request's body is complete. */
  private body(st: ConnState): boolean {
    const before = st.buf;
    try {
      return this.decodeBody(st);
    } finally {
      const req = st.cur!;
      req.rawBody = Buffer.concat([req.rawBody, before.subarray(0, before.length - st.buf.length)]);
    }
  }

  private decodeBody(st: ConnState): boolean {
    const req = st.cur!;
    const f = st.framing!;
    if (f.kind === 'length') {
      const n = Math.min(f.left, st.buf.length);
      req.body = Buffer.concat([req.body, st.buf.subarray(0, n)]);
      st.buf = st.buf.subarray(n);
      f.left -= n;
      return f.left === 0;
    }
    for (;;) {
      const c = f.st;
      if (c.kind === 'size' || c.kind === 'trailers') {
        const eol = st.buf.indexOf('\r\n');
        if (eol < 0) {
          if (st.buf.length > 65_536) throw new Error('chunk line over 64 KiB');
          return false;
        }
        const line = st.buf.subarray(0, eol).toString('latin1');
        st.buf = st.buf.subarray(eol + 2);
        if (c.kind === 'trailers') {
          if (line === '') return true;
          continue;
        }
        const m = /^([0-9A-Fa-f]{1,12})(;[\t\x20-\x7e]*)?$/.exec(line);
        if (!m) throw new Error(`bad chunk-size line ${JSON.stringify(line)}`);
        const size = parseInt(m[1], 16);
        f.st = size === 0 ? { kind: 'trailers' } : { kind: 'data', left: size };
      } else if (c.kind === 'data') {
        const n = Math.min(c.left, st.buf.length);
        req.body = Buffer.concat([req.body, st.buf.subarray(0, n)]);
        st.buf = st.buf.subarray(n);
        c.left -= n;
        if (c.left > 0) return false;
        f.st = { kind: 'data-crlf' };
      } else {
        if (st.buf.length < 2) return false;
        if (st.buf[0] !== 0x0d || st.buf[1] !== 0x0a) throw new Error('chunk data not followed by CRLF');
        st.buf = st.buf.subarray(2);
        f.st = { kind: 'size' };
      }
    }
  }
}

/** A response as the raw client parsed it. */
export interface RawResponse {
  readonly status: number;
  readonly head: string;
  readonly body: Buffer;
}

export interface Exchange {
  readonly responses: RawResponse[];
  /** The proxy closed (or reset) the connection before we gave up waiting. */
  readonly closed: boolean;
  /** Milliseconds from connect to close, when closed. */
  readonly closedAfterMs?: number;
  readonly raw: Buffer;
  /** Bytes after the last parseable response: garbage, or a response cut short. */
  readonly trailing: Buffer;
}

/** Parses back-to-back HTTP/1.1 responses; stops at the first incomplete one. */
export function parseResponses(buf: Buffer): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let rest = buf;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return { responses, rest };
    const head = rest.subarray(0, end).toString('latin1');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (!m) return { responses, rest };
    const status = Number(m[1]);
    const after = rest.subarray(end + 4);
    const cl = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
    const chunked = /\r\ntransfer-encoding:[ \t]*chunked/i.test(head);
    if (status === 101 || status === 204 || status === 304 || (status >= 100 && status < 200)) {
      responses.push({ status, head, body: Buffer.alloc(0) });
      rest = after;
    } else if (cl) {
      const n = Number(cl[1]);
      if (after.length < n) return { responses, rest };
      responses.push({ status, head, body: after.subarray(0, n) });
      rest = after.subarray(n);
    } else if (chunked) {
      const term = after.indexOf('\r\n0\r\n\r\n');
      const atStart = after.subarray(0, 5).toString('latin1') === '0\r\n\r\n';
      if (!atStart && term < 0) return { responses, rest };
      const bodyEnd = atStart ? 5 : term + 7;
      responses.push({ status, head, body: after.subarray(0, bodyEnd) });
      rest = after.subarray(bodyEnd);
    } else {
      // Body delimited by close: everything left belongs to it.
      responses.push({ status, head, body: after });
      return { responses, rest: Buffer.alloc(0) };
    }
  }
}

/** A step of what the raw client sends: bytes, or a pause. */
export type Step = string | Buffer | { readonly pauseMs: number };

/**
 * Connects, sends the steps as given (strings as latin1, so every byte is exact), and collects the answer until the
 * proxy closes, or `settleMs` pass with no new data after at least one whole response, or `maxMs` pass.
 */
export async function exchange(
  host: string,
  port: number,
  steps: readonly Step[],
  opts: { maxMs?: number; settleMs?: number } = {},
): Promise<Exchange> {
  const maxMs = opts.maxMs ?? 2_500;
  const settleMs = opts.settleMs ?? 300;
  const t0 = Date.now();
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  const chunks: Buffer[] = [];
  let closed = false;
  let closedAfterMs: number | undefined;
  let lastData = Date.now();
  socket.on('data', (d: Buffer) => {
    chunks.push(d);
    lastData = Date.now();
  });
  socket.on('error', () => undefined);
  const closedP = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      closedAfterMs = Date.now() - t0;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const sender = (async () => {
    for (const s of steps) {
      if (closed) return;
      if (typeof s === 'object' && !Buffer.isBuffer(s)) await sleep(s.pauseMs);
      else await new Promise<void>((r) => socket.write(typeof s === 'string' ? Buffer.from(s, 'latin1') : s, () => r()));
    }
  })().catch(() => undefined);
  for (;;) {
    if (closed || Date.now() - t0 > maxMs) break;
    const { responses } = parseResponses(Buffer.concat(chunks));
    if (responses.length > 0 && Date.now() - lastData > settleMs) break;
    await Promise.race([sleep(20), closedP]);
  }
  socket.destroy();
  await sender;
  const raw = Buffer.concat(chunks);
  const { responses, rest } = parseResponses(raw);
  return { responses, closed, closedAfterMs, raw, trailing: rest };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A free TCP port on `host` (bound then released; fine for a test on a private 127.0.0.x address). */
export async function freePort(host: string): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, host, () => resolve());
  });
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** GETs a URL and returns its status and body as text (status 0 when unreachable). */
export function httpGetText(url: string, timeoutMs = 2_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}

/**
 * Upstream failures and ejections the proxy has counted against its endpoints, from the admin dump
 * (`/admin/endpoints`: `{ endpoints: [{ id, failures, ejections }] }`). A request the client got wrong must never
 * count here: that would let any client eject healthy endpoints.
 */
export async function endpointBlame(adminUrl: string): Promise<{ failures: number; ejections: number }> {
  const { status, body } = await httpGetText(`${adminUrl}/admin/endpoints`);
  if (status !== 200) throw new Error(`${adminUrl}/admin/endpoints answered ${status}`);
  let dump: { endpoints?: Array<{ failures?: unknown; ejections?: unknown }> };
  try {
    dump = JSON.parse(body) as typeof dump;
  } catch {
    throw new Error(`${adminUrl}/admin/endpoints is not JSON: ${body.slice(0, 200)}`);
  }
  if (!Array.isArray(dump.endpoints) || dump.endpoints.some((e) => typeof e.failures !== 'number' || typeof e.ejections !== 'number')) {
    throw new Error(`admin dump has no endpoints[].failures / .ejections numbers: ${body.slice(0, 300)}`);
  }
  return {
    failures: dump.endpoints.reduce((a, e) => a + (e.failures as number), 0),
    ejections: dump.endpoints.reduce((a, e) => a + (e.ejections as number), 0),
  };
}

export function httpGet(url: string, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** The proxy under test; HOSTILE_PROXY_BUNDLE points the suite at another build (any script taking --config). */
export const BUNDLE = process.env.HOSTILE_PROXY_BUNDLE ?? process.env.LB_PROXY_BUNDLE ?? path.resolve(__dirname, '../../lib/proxy.bundle.js');

/** The bundled proxy, spawned exactly as the container runs it, with its output kept for failure messages. */
export class ProxyProcess {
  private child?: ChildProcess;
  private dir?: string;
  output = '';
  exitCode: number | null = null;

  constructor(private readonly config: object, private readonly adminUrl: string) {}

  async start(timeoutMs = 10_000): Promise<void> {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
    this.dir = mkdtempSync(path.join(tmpdir(), 'hostile-'));
    const file = path.join(this.dir, 'config.json');
    writeFileSync(file, JSON.stringify(this.config, null, 2));
    const child = spawn(PROXY_NODE, [BUNDLE, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (d: Buffer) => {
      if (this.output.length < 200_000) this.output += d.toString();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('exit', (code, sig) => (this.exitCode = code ?? (sig ? 128 : -1)));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitCode !== null) throw new Error(`proxy exited with ${this.exitCode} before it was ready:\n${this.output}`);
      if ((await httpGet(`${this.adminUrl}/readyz`, 500)) === 200) return;
      if (Date.now() > deadline) throw new Error(`proxy not ready within ${timeoutMs} ms:\n${this.output}`);
      await sleep(25);
    }
  }

  get alive(): boolean {
    return this.child !== undefined && this.exitCode === null;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && this.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
