/**
 * The HTTP/1.1 codec on the client side: one state machine per connection, llhttp in strict mode.
 *
 *   idle --first byte--> head --head parsed--> body --last body byte--> waiting --answer sent--> idle
 *                          |                     \________________________/        \--> tunnel (101)
 *                          +--> closing (bad request: answered, then closed)
 *
 * Requests are handled one at a time, in order: bytes that arrive after a complete request (pipelining, or junk after
 * a `Connection: close` request) are held, unparsed, until its answer is sent. So a bad second request can never
 * disturb the first one's answer, and a request on a closing connection is never read.
 *
 * One deadline per state (see deadlines.ts): clientIdleMs in idle; headersMs for the whole head (absolute, so a
 * slowloris client that trickles header bytes is still cut); idleMs while the body streams (no progress, not a total:
 * a long upload that keeps moving is never cut); none while the endpoint thinks; idleMs while written bytes wait for a
 * slow reader (so a reader that keeps reading is fine).
 */
import { STATUS_CODES } from 'node:http';
import type * as net from 'node:net';
import type { Downstream } from '../downstream';
import { Exchange } from '../exchange';
import { serializeHead } from '../http/headers';
import type { Expiring } from '../deadlines';
import type { Router } from '../router';
import { Errno, F_CHUNKED, F_CONTENT_LENGTH, F_TRANSFER_ENCODING, Parser, ParserEvents, ParserKind, HeadFields, latin1 } from './llhttp';
import { judgeRequestHead, ParsedRequestHead } from './request-head';
import { openTunnel } from './tunnel';

const enum State {
  Idle,
  Head,
  Body,
  Waiting,
  Tunnel,
  Closing,
}

/** llhttp errors that name a status other than 400 (RFC 9112: unknown method 501, unsupported version 505). */
const ERRNO_STATUS: Record<number, number> = { 6: 501, 9: 505 };
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface ConnectionHooks {
  /** Called once when the connection is gone. */
  closed(c: Http1Downstream): void;
  /** An HTTP/2 preface arrived on this HTTP/1.1 listener. */
  http2(socket: net.Socket, first: Buffer): void;
}

export class Http1Downstream implements ParserEvents, Downstream, Expiring {
  public deadline: number;
  public headSent = false;
  public http10 = false;
  /** When this connection should close after its current answer (listener.maxConnectionAgeMs), else Infinity. */
  public expiresAt = Infinity;
  public readonly remoteAddress: string | undefined;
  private readonly parser: Parser;
  private state = State.Idle;
  private ex: Exchange | undefined;
  private pending: Buffer | undefined;
  private consuming = false;
  private url = '';
  private readonly fields = new HeadFields();
  private keepAlive = true;
  private upgrade = false;
  private headStarted = 0;
  private headBytes = 0;
  private bodyLeft = 0;
  private chunked = false;
  private messageDone = false;
  /** Chunked framing bytes (size lines, extensions, trailers) since the last chunk data: bounded like a head. */
  private framingBytes = 0;
  private framingFrom = 0;
  private closeAfter = false;
  private headOut: string | undefined;
  private requestPaused = false;
  private closed = false;

  public constructor(
    public readonly socket: net.Socket,
    private readonly r: Router,
    private readonly hooks: ConnectionHooks,
  ) {
    this.remoteAddress = socket.remoteAddress;
    this.parser = new Parser(ParserKind.Request, this);
    socket.setNoDelay(true);
    this.deadline = r.clock.in(r.config.timeouts.clientIdleMs);
    r.clock.add(this);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('drain', () => {
      // Only the write-blocked deadline of an answer ends here; other states keep theirs (idle, closing, a head).
      if (this.state === State.Waiting) this.deadline = Infinity;
      this.ex?.resumeResponse();
    });
    socket.on('end', () => this.onEnd());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.onClose());
  }

  public get dechunk(): boolean {
    return this.http10;
  }

  /** True between requests: a drain may close it at once. */
  public get idle(): boolean {
    return this.state === State.Idle && this.pending === undefined;
  }

  public close(): void {
    this.socket.destroy();
  }

  // ---- reading ----

  public onData(d: Buffer): void {
    if (this.state === State.Waiting || this.pending !== undefined) {
      this.hold(d);
      return;
    }
    this.consume(d, 0);
  }

  private hold(d: Buffer): void {
    this.pending = this.pending === undefined ? d : Buffer.concat([this.pending, d]);
    if (this.pending.length > this.r.config.limits.maxRequestHeaderBytes) this.socket.pause();
  }

  private consume(d: Buffer, pos: number): void {
    this.consuming = true;
    while (pos < d.length && !this.closed) {
      const st = this.state;
      if (st === State.Idle) this.startHead(d, pos);
      else if (st === State.Head) pos = this.readHead(d, pos);
      else if (st === State.Body) pos = this.readBody(d, pos);
      else if (st === State.Waiting) {
        this.hold(d.subarray(pos));
        break;
      } else break;
    }
    this.consuming = false;
  }

  private startHead(d: Buffer, pos: number): void {
    if (d[pos] === 0x50 /* P */ && this.headBytes === 0 && d.length - pos >= 14 && latin1(d, pos, pos + 14) === 'PRI * HTTP/2.0') {
      this.handOff(d.subarray(pos));
      return;
    }
    this.state = State.Head;
    this.headStarted = this.r.now();
    this.headBytes = 0;
    this.url = '';
    this.fields.take();
    this.deadline = this.headStarted + this.r.config.timeouts.headersMs;
  }

  private readHead(d: Buffer, pos: number): number {
    const ret = this.parser.execute(d, pos, d.length);
    const end = this.parser.pos;
    this.headBytes += end - pos;
    const limits = this.r.config.limits;
    if (this.headBytes > limits.maxRequestHeaderBytes) {
      this.refuse(431, `request head larger than ${limits.maxRequestHeaderBytes} bytes`);
      return d.length;
    }
    if (ret === Errno.Ok) {
      if (this.r.now() - this.headStarted > this.r.config.timeouts.headersMs) this.refuse(408, 'request head not complete in time');
      return d.length;
    }
    if (ret !== Errno.Paused) {
      if (ret === 23 /* PAUSED_H2_UPGRADE: the HTTP/2 preface */ && this.headBytes <= 24) {
        // The preface's first bytes went to the parser with an earlier read: it is a constant, so they are known.
        const before = this.headBytes - (end - pos);
        this.handOff(Buffer.concat([H2_PREFACE.subarray(0, before), d.subarray(pos)]));
        return d.length;
      }
      this.refuse(ERRNO_STATUS[ret] ?? 400, this.parser.errorReason);
      return d.length;
    }
    this.onHead();
    return end;
  }

  private readBody(d: Buffer, pos: number): number {
    const ex = this.ex as Exchange | undefined;
    this.deadline = this.r.clock.in(this.r.config.timeouts.idleMs);
    if (!this.chunked) {
      const end = Math.min(d.length, pos + this.bodyLeft);
      this.bodyLeft -= end - pos;
      ex?.requestData(pos === 0 && end === d.length ? d : d.subarray(pos, end));
      if (this.bodyLeft === 0) this.requestComplete();
      return end;
    }
    this.framingFrom = pos;
    const ret = this.parser.execute(d, pos, d.length);
    const end = this.parser.pos;
    this.framingBytes += end - this.framingFrom;
    const limit = this.r.config.limits.maxRequestHeaderBytes;
    if (this.framingBytes > limit && ret === Errno.Ok) {
      this.closeAfter = true;
      this.ex?.requestFailed(400, `bad request: chunk framing (extensions or trailers) over ${limit} bytes\n`);
      return d.length;
    }
    if (ret !== Errno.Ok && ret !== Errno.Paused) {
      this.closeAfter = true;
      // Nothing from the bad chunk on is forwarded: the endpoint sees an unfinished request, never a smuggled one.
      if (ex !== undefined) ex.requestFailed(400, `bad request: malformed chunked body (${this.parser.errorReason})\n`);
      else this.refuse(400, `malformed chunked body (${this.parser.errorReason})`);
      return d.length;
    }
    if (end > pos) ex?.requestData(d.subarray(pos, end));
    if (this.messageDone) this.requestComplete();
    return end;
  }

  private requestComplete(): void {
    this.parser.reset();
    this.state = State.Waiting;
    this.deadline = Infinity;
    this.ex?.requestEnd();
  }

  // ---- llhttp events ----

  public onUrl(s: string): void {
    this.url += s;
  }
  public onStatus(): void {}
  public onHeaderField(s: string): void {
    if (this.state !== State.Body) this.fields.name(s); // trailers travel inside the raw chunked bytes
  }
  public onHeaderValue(s: string): void {
    if (this.state !== State.Body) this.fields.value(s);
  }
  public onHeadersComplete(_status: number, upgrade: boolean, keepAlive: boolean): void {
    this.keepAlive = keepAlive;
    this.upgrade = upgrade;
  }
  public onBody(_chunk: Buffer, start: number, end: number): void {
    const framing = this.framingBytes + start - this.framingFrom;
    if (framing > this.r.config.limits.maxRequestHeaderBytes) this.parser.fail('chunk extension too long');
    this.framingBytes = 0;
    this.framingFrom = end;
  }
  public onMessageComplete(): void {
    this.messageDone = true;
  }

  // ---- one request ----

  private onHead(): void {
    const p = this.parser;
    // Read everything from the parser before reset() clears it.
    const flags = p.flags;
    const chunked = (flags & F_CHUNKED) !== 0;
    this.http10 = p.versionMinor === 0;
    this.chunked = chunked;
    this.framingBytes = 0;
    this.bodyLeft = chunked ? 0 : flags & F_CONTENT_LENGTH ? p.contentLength : 0;
    this.messageDone = false;
    const parsed: ParsedRequestHead = {
      method: p.method,
      target: this.url,
      fields: this.fields.take(),
      major: p.versionMajor,
      http10: this.http10,
      upgrade: this.upgrade,
      chunked,
      otherCoding: (flags & F_TRANSFER_ENCODING) !== 0 && !chunked,
      bodyLength: chunked ? -1 : this.bodyLeft,
    };
    if (chunked) p.resume();
    else p.reset();
    const r = this.r;
    const verdict = judgeRequestHead(parsed, r, this.socket);
    if ('refuse' in verdict) return this.refuse(verdict.refuse[0], verdict.refuse[1]);
    this.headSent = false;
    this.headOut = undefined;
    this.closeAfter = !this.keepAlive || r.draining;
    this.requestPaused = false;
    const ex = (this.ex = new Exchange(r, this, verdict.head));
    if (parsed.bodyLength !== 0) {
      this.state = State.Body;
      this.deadline = r.clock.in(r.config.timeouts.idleMs);
      if (verdict.expectContinue) this.socket.write(CONTINUE);
    } else {
      this.state = State.Waiting;
      this.deadline = Infinity;
    }
    ex.start();
  }

  /** An answer of the proxy's own to a request it will not forward; the connection closes after it. */
  private refuse(status: number, reason: string): void {
    this.closeAfter = true;
    this.headSent = false;
    const body = `${status === 400 ? 'bad request' : (STATUS_CODES[status] ?? 'error').toLowerCase()}: ${reason}\n`;
    this.sendHead(status, '', ['content-type', 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(body))], true);
    this.socket.write((this.headOut ?? '') + body, 'latin1');
    this.headOut = undefined;
    this.r.metrics.observe(status, 0);
    this.finishConnection();
  }

  // ---- Downstream: writing the answer ----

  public sendInformational(status: number, headers: readonly string[]): void {
    this.socket.write(serializeHead(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, headers), 'latin1');
  }

  public sendHead(status: number, reason: string, headers: string[], close: boolean): void {
    if (close || this.r.draining || (this.expiresAt !== Infinity && this.r.now() >= this.expiresAt)) this.closeAfter = true;
    if (this.closeAfter) headers.push('connection', 'close');
    else if (this.http10) headers.push('connection', 'keep-alive');
    this.headOut = serializeHead(`HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || ''}`, headers);
    this.headSent = true;
  }

  public sendData(data: Buffer, start: number, end: number): boolean {
    const head = this.headOut;
    let ok: boolean;
    if (head === undefined) {
      ok = this.socket.write(start === 0 && end === data.length ? data : data.subarray(start, end));
    } else {
      // Head and first bytes leave in one write: one buffer, not a writev of a string and a buffer.
      this.headOut = undefined;
      const out = Buffer.allocUnsafe(head.length + end - start);
      out.write(head, 0, 'latin1');
      data.copy(out, head.length, start, end);
      ok = this.socket.write(out);
    }
    // A slow reader has idleMs to take what is buffered; the deadline is off again at 'drain'.
    if (!ok) this.deadline = this.r.clock.in(this.r.config.timeouts.idleMs);
    return ok;
  }

  public sendEnd(): void {
    if (this.headOut !== undefined) {
      this.socket.write(this.headOut, 'latin1');
      this.headOut = undefined;
    }
  }

  public retractHead(): boolean {
    if (this.headOut === undefined) return false;
    this.headOut = undefined;
    this.headSent = false;
    return true;
  }

  public abort(): void {
    this.closeAfter = true;
    this.socket.destroy();
  }

  public pauseRequest(): void {
    if (this.state !== State.Body || this.requestPaused) return;
    this.requestPaused = true;
    this.socket.pause();
    // The endpoint is the slow side now: its own deadline answers 504; the client must not get a 408 for it.
    this.deadline = Infinity;
  }

  public resumeRequest(): void {
    if (!this.requestPaused) return;
    this.requestPaused = false;
    if (this.state === State.Body) this.deadline = this.r.clock.in(this.r.config.timeouts.idleMs);
    this.socket.resume();
  }

  public tunnel(up: net.Socket, rest: Buffer, reason: string, headers: string[]): void {
    const ex = this.ex as Exchange;
    this.state = State.Tunnel;
    this.deadline = Infinity;
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('end'); // the tunnel passes a half-close on
    this.socket.write(serializeHead(`HTTP/1.1 101 ${reason || 'Switching Protocols'}`, headers), 'latin1');
    if (rest.length > 0) this.socket.write(rest);
    const early = this.pending;
    this.pending = undefined;
    if (early !== undefined) up.write(early);
    this.socket.resume();
    openTunnel(this.r, this.socket, up, () => ex.tunnelClosed());
  }

  public exchangeDone(): void {
    this.ex = undefined;
    if (this.state === State.Tunnel || this.closed) return;
    if (this.closeAfter || this.state !== State.Waiting) {
      this.finishConnection();
      return;
    }
    this.state = State.Idle;
    this.deadline = this.r.clock.in(this.r.config.timeouts.clientIdleMs);
    const next = this.pending;
    if (next === undefined || this.consuming) return;
    this.pending = undefined;
    this.socket.resume();
    this.consume(next, 0);
  }

  /** Ends the connection once what was written is flushed; a client that never closes its side is cut after idleMs. */
  private finishConnection(): void {
    if (this.state === State.Closing) return;
    this.state = State.Closing;
    this.pending = undefined;
    this.deadline = this.r.clock.in(this.r.config.timeouts.idleMs);
    this.socket.end();
  }

  /** The client spoke the HTTP/2 preface: this codec lets go of the socket, with the bytes read so far. */
  private handOff(first: Buffer): void {
    this.state = State.Closing;
    this.closed = true;
    const s = this.socket;
    for (const e of ['data', 'drain', 'end', 'error', 'close']) s.removeAllListeners(e);
    this.r.clock.delete(this);
    this.parser.destroy();
    this.hooks.closed(this);
    this.hooks.http2(s, first);
  }

  // ---- socket events ----

  public onDeadline(): void {
    this.deadline = Infinity;
    switch (this.state) {
      case State.Head:
        return this.refuse(408, `request head not complete within ${this.r.config.timeouts.headersMs} ms`);
      case State.Body:
        this.closeAfter = true;
        this.ex?.requestFailed(408, `request timeout: the request body made no progress for ${this.r.config.timeouts.idleMs} ms\n`);
        return;
      default:
        this.socket.destroy();
    }
  }

  private onEnd(): void {
    // The client closed its side: it is gone, as nginx and Node's http server take it (a request in flight is
    // cancelled upstream, a 499 in the access log), whatever state the connection was in.
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.r.clock.delete(this);
    this.parser.destroy();
    const ex = this.ex;
    this.ex = undefined;
    if (ex !== undefined && this.state !== State.Tunnel) ex.clientGone();
    this.hooks.closed(this);
  }
}
