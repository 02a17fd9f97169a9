/**
 * One HTTP/1.1 connection to an endpoint: connect, write one request at a time, parse the response with llhttp in
 * strict mode, and hand the head and the body's bytes to the try that owns the connection.
 *
 * States: connecting -> active (a try owns it) -> idle (in its pool) -> active ... -> closed. One deadline per state
 * (see deadlines.ts): connectMs while connecting; idleMs while a request body write waits for the endpoint to read;
 * requestMs from the request's last byte to the response head; idleMs between response body reads (none while the
 * client is the slow side); idleMs while idle in the pool, then the connection closes.
 *
 * The response body is passed on as ranges of the bytes that arrived, in their framing: Content-Length and
 * close-delimited bodies are counted here without the parser, chunked bodies run through llhttp (which checks the
 * chunk framing) and leave as the raw chunked bytes, trailers included. `decodeChunked` asks for the decoded data
 * instead (an HTTP/1.0 client cannot read chunked).
 */
import type * as net from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Deadlines, Expiring } from '../deadlines';
import type { RequestHead } from '../downstream';
import { serializeHead } from '../http/headers';
import { ConnectionOwner, ConnectionTimeouts, Framing, UpstreamConnection } from './connection-owner';
import { describeTlsFailure } from '../tls/upstream';
import { Errno, F_CHUNKED, F_CONTENT_LENGTH, F_TRANSFER_ENCODING, Parser, ParserEvents, ParserKind, HeadFields } from '../http1/llhttp';

/** Largest response head accepted from an endpoint (undici's and Node's default). */
const MAX_RESPONSE_HEAD = 65_536;

const enum State {
  Connecting,
  Active,
  Idle,
  Closed,
}

export class H1Connection implements ParserEvents, Expiring, UpstreamConnection {
  public deadline: number;
  public readonly socket: net.Socket;
  private readonly parser: Parser;
  private state = State.Connecting;
  private owner: ConnectionOwner | undefined;
  /** The request being answered is a HEAD: its response has no body whatever the head says. */
  private head = false;
  public decodeChunked = false;
  /** Requests this connection carried; > 0 means a reused connection. */
  public uses = 0;
  private gotResponseByte = false;
  private requestHasBody = false;
  private flushedRequestBytes = 0;
  private requestDone = false;
  private paused = false;
  // Response being parsed.
  private status = 0;
  private reason = '';
  private readonly fields = new HeadFields();
  private headDone = false;
  private messageDone = false;
  private keepAlive = false;
  private framing = Framing.None;
  private left = 0;
  private inBody = false;
  private headBytes = 0;

  /** `socket` is connecting: plain TCP, or TLS (then connected means its handshake is done). */
  public constructor(
    socket: net.Socket,
    private readonly t: ConnectionTimeouts,
    private readonly clock: Deadlines,
    private readonly onRelease: (conn: H1Connection, reusable: boolean) => void,
    owner: ConnectionOwner,
  ) {
    this.owner = owner;
    this.parser = new Parser(ParserKind.Response, this);
    const s = (this.socket = socket);
    this.deadline = clock.in(t.connectMs);
    clock.add(this);
    s.once(s instanceof TLSSocket ? 'secureConnect' : 'connect', () => {
      this.state = State.Active;
      this.deadline = Infinity;
      this.owner?.onConnected(this);
    });
    s.on('data', (d: Buffer) => this.onData(d));
    s.on('end', () => this.onEnd());
    s.on('error', (err: NodeJS.ErrnoException) => this.fail(this.state === State.Connecting ? 'connect-failure' : 'reset', errText(err)));
    s.on('close', () => this.fail('reset', 'the endpoint closed the connection before answering'));
    s.on('drain', () => {
      if (!this.requestDone) this.deadline = Infinity;
      this.owner?.onWritable();
    });
  }

  public get idle(): boolean {
    return this.state === State.Idle;
  }

  /** A pooled connection is handed to a new try. */
  public assign(owner: ConnectionOwner): void {
    this.owner = owner;
    this.state = State.Active;
    this.deadline = Infinity;
    owner.onConnected(this);
  }

  /** Writes the request head (and whatever body is already at hand). */
  public send(req: RequestHead, hasBody: boolean): void {
    this.startRequest(serializeHead(`${req.method} ${req.target} HTTP/1.1`, req.headers), req.method === 'HEAD', hasBody);
  }

  public startRequest(head: string, isHead: boolean, hasBody: boolean): void {
    this.uses++;
    this.head = isHead;
    this.requestHasBody = hasBody;
    this.requestDone = false;
    this.gotResponseByte = false;
    this.flushedRequestBytes = 0;
    this.resetResponse();
    this.socket.write(head, 'latin1', this.flushed);
  }

  private readonly flushed = (err?: Error | null): void => {
    if (!err) this.flushedRequestBytes++;
  };

  /** Writes request body bytes; false means wait for onWritable() (the endpoint then has idleMs to read on). */
  public writeBody(data: Buffer): boolean {
    if (this.socket.write(data, this.flushed)) return true;
    this.deadline = this.clock.in(this.t.idleMs);
    return false;
  }

  /** The request's last byte was handed over: the endpoint now has requestMs to start its answer. */
  public endRequest(): void {
    this.requestDone = true;
    if (!this.headDone) this.deadline = this.clock.in(this.t.requestMs);
  }

  /** The client is the slow side: stop reading, and stop the clock (the client's own deadline covers it). */
  public pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
    this.deadline = Infinity;
  }

  public resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.deadline = this.clock.in(this.t.idleMs);
    this.socket.resume();
  }

  /** The owner gives up (client gone, or a discarded answer that is not worth reading): close, never reuse. */
  public abandon(): void {
    this.owner = undefined;
    this.close();
  }

  public close(): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.owner = undefined;
    this.clock.delete(this);
    this.parser.destroy();
    this.socket.destroy();
    this.onRelease(this, false);
  }

  // ---- parsing ----

  private resetResponse(): void {
    this.status = 0;
    this.reason = '';
    this.fields.take();
    this.headDone = false;
    this.messageDone = false;
    this.inBody = false;
    this.framing = Framing.None;
    this.left = 0;
    this.headBytes = 0;
  }

  public onUrl(): void {}
  public onStatus(s: string): void {
    this.reason += s;
  }
  // Trailers after a chunked body stay in the raw bytes, unless the body is de-chunked: then they are collected and
  // handed over as a list (an HTTP/2 client gets them as a trailing HEADERS frame).
  public onHeaderField(s: string): void {
    if (!this.inBody || this.decodeChunked) this.fields.name(s);
  }
  public onHeaderValue(s: string): void {
    if (!this.inBody || this.decodeChunked) this.fields.value(s);
  }
  public onHeadersComplete(status: number, _upgrade: boolean, keepAlive: boolean): void {
    this.status = status;
    this.keepAlive = keepAlive;
    this.headDone = true;
  }
  public onBody(chunk: Buffer, start: number, end: number): void {
    if (this.decodeChunked && this.owner && !this.owner.onResponseData(chunk, start, end)) this.pause();
  }
  public onMessageComplete(): void {
    this.messageDone = true;
  }

  private onData(d: Buffer): void {
    if (this.state !== State.Active) {
      // Bytes from an idle connection: the endpoint is confused; never reuse it.
      this.close();
      return;
    }
    this.gotResponseByte = true;
    if (this.headDone && !this.paused) this.deadline = this.clock.in(this.t.idleMs);
    let pos = 0;
    // One read never passes to a new owner: finish() ends the loop (leftover bytes already made the connection close).
    const uses = this.uses;
    while (pos < d.length && this.state === State.Active && this.uses === uses) {
      if (!this.headDone) {
        const ret = this.parser.execute(d, pos, d.length);
        this.headBytes += this.parser.pos - pos;
        if (this.headBytes > MAX_RESPONSE_HEAD) return this.protocolError(`response head larger than ${MAX_RESPONSE_HEAD} bytes`);
        if (ret === Errno.Ok) return;
        if (ret !== Errno.Paused) return this.protocolError(this.parser.errorReason);
        pos = this.parser.pos;
        if (!this.afterHead(d, pos)) return;
        continue;
      }
      pos = this.body(d, pos);
    }
  }

  /** Decides the framing of the body that follows a head; false when the connection is handed off or gone. */
  private afterHead(d: Buffer, pos: number): boolean {
    const status = this.status;
    const headers = this.fields.take();
    if (status < 200) {
      this.parser.reset();
      if (status === 101) {
        const owner = this.owner;
        this.state = State.Closed;
        this.owner = undefined;
        this.clock.delete(this);
        this.parser.destroy();
        this.socket.removeAllListeners('data');
        this.socket.removeAllListeners('drain');
        this.onRelease(this, false);
        owner?.onUpgrade(this.socket, d.subarray(pos), this.reason, headers);
        return false;
      }
      this.owner?.onInformational(status, headers);
      this.resetResponse();
      return true;
    }
    const flags = this.parser.flags;
    if (this.head || status === 204 || status === 304) this.framing = Framing.None;
    else if (flags & F_TRANSFER_ENCODING) this.framing = flags & F_CHUNKED ? Framing.Chunked : Framing.Close;
    else if (flags & F_CONTENT_LENGTH) this.framing = Framing.Length;
    else this.framing = Framing.Close;
    this.left = this.framing === Framing.Length ? this.parser.contentLength : 0;
    if (this.framing === Framing.Close) this.keepAlive = false;
    if (this.framing === Framing.Chunked) this.parser.resume();
    else this.parser.reset();
    this.inBody = true;
    if (!this.paused) this.deadline = this.clock.in(this.t.idleMs);
    this.owner?.onResponseHead({ status, reason: this.reason, headers, framing: this.framing, length: this.left });
    if (this.state !== State.Active) return false;
    if (this.framing === Framing.None || (this.framing === Framing.Length && this.left === 0)) {
      // Bytes after a bodyless answer (a 304 or HEAD answer with a body anyway): the framing cannot be trusted.
      if (pos < d.length) this.keepAlive = false;
      this.finish();
      return false;
    }
    return true;
  }

  /** Consumes body bytes from d[pos...]; returns the new position. */
  private body(d: Buffer, pos: number): number {
    const owner = this.owner;
    switch (this.framing) {
      case Framing.Length: {
        const end = Math.min(d.length, pos + this.left);
        this.left -= end - pos;
        if (owner && !owner.onResponseData(d, pos, end)) this.pause();
        if (this.left === 0) {
          if (end < d.length) {
            // More bytes than the Content-Length said: the framing cannot be trusted for another request.
            this.keepAlive = false;
          }
          this.finish();
          return d.length;
        }
        return end;
      }
      case Framing.Close:
        if (owner && !owner.onResponseData(d, pos, d.length)) this.pause();
        return d.length;
      default: {
        const ret = this.parser.execute(d, pos, d.length);
        const end = this.parser.pos;
        if (ret !== Errno.Ok && ret !== Errno.Paused) {
          this.protocolError(`bad chunked body: ${this.parser.errorReason}`);
          return d.length;
        }
        if (!this.decodeChunked && owner && end > pos && !owner.onResponseData(d, pos, end)) this.pause();
        if (this.messageDone) {
          if (end < d.length) this.keepAlive = false;
          this.finish();
          return d.length;
        }
        return end;
      }
    }
  }

  private finish(): void {
    if (this.state !== State.Active) return;
    const owner = this.owner;
    const reusable = this.keepAlive && this.requestDone;
    const trailers = this.inBody && this.decodeChunked ? this.fields.take() : undefined;
    this.owner = undefined;
    this.inBody = false;
    this.parser.reset();
    if (this.paused) {
      // The last write to a slow client paused this connection; the next owner must find it reading.
      this.paused = false;
      this.socket.resume();
    }
    if (reusable) {
      this.state = State.Idle;
      this.deadline = this.clock.in(this.t.idleMs);
      this.onRelease(this, true);
    }
    if (trailers !== undefined && trailers.length > 0) owner?.onResponseTrailers(trailers);
    owner?.onResponseEnd();
    if (!reusable) this.close();
  }

  private onEnd(): void {
    if (this.state === State.Active && this.headDone && this.framing === Framing.Close) {
      this.finish();
      return;
    }
    this.fail('reset', this.headDone ? 'the endpoint closed the connection in the middle of the body' : 'the endpoint closed the connection before answering');
  }

  public onDeadline(): void {
    if (this.state === State.Idle) return this.close();
    if (this.state === State.Connecting) return this.fail('connect-failure', `connect timed out after ${this.t.connectMs} ms`);
    const what = !this.headDone
      ? this.requestDone
        ? `the endpoint sent no response head within ${this.t.requestMs} ms`
        : `the request body made no progress for ${this.t.idleMs} ms`
      : `the response body made no progress for ${this.t.idleMs} ms`;
    this.fail('timeout', what);
  }

  private protocolError(reason: string): void {
    this.fail('protocol', `the endpoint sent a malformed response (${reason})`);
  }

  private fail(kind: 'connect-failure' | 'reset' | 'timeout' | 'protocol', detail: string): void {
    if (this.state === State.Closed) return;
    const owner = this.owner;
    const replayable =
      kind === 'reset' && this.uses > 1 && !this.gotResponseByte && (!this.requestHasBody || this.flushedRequestBytes === 0);
    this.close();
    owner?.onFailure(kind, detail, replayable);
  }
}

function errText(err: NodeJS.ErrnoException): string {
  return describeTlsFailure(err) ?? (err.code ? `${err.code}: ${err.message}` : err.message);
}
