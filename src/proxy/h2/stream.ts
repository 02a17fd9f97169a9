/**
 * One HTTP/2 stream of an {@link H2Session}, either side: the frames it receives go to its handler, and what the
 * handler writes goes out as HEADERS and DATA frames under both flow-control windows (RFC 9113 5.2).
 *
 * - Receiving: DATA reaches the handler at once, or waits in the stream while it is paused. The window is granted
 *   back only for bytes the handler took, so a paused stream holds at most its window.
 * - Sending: DATA goes out as far as the stream's and the connection's send windows allow; the rest waits here, and
 *   `writeData` returns false until the session's `onDrain` says the stream may write again.
 * - A declared content-length is checked against the DATA received: a mismatch is malformed (RFC 9113 8.1.1) and
 *   resets the stream, so a body can never run past the length an HTTP/1.1 endpoint was told.
 */
import { Flag, FRAME_HEADER, FrameType, writeFrameHeader } from './frames';
import type { H2SessionCore as H2Session } from './session-core';

/** What a stream reports; the session calls these. */
export interface H2StreamHandler {
  /** A header block after the first (client: the response and trailers; server: trailers). */
  onHeaders(fields: string[], endStream: boolean): void;
  onData(data: Buffer, start: number, end: number): void;
  /** The peer ended its side, and every byte it sent was taken. */
  onEnd(): void;
  /**
   * The stream ended abnormally: the peer reset it (`code`), the peer's GOAWAY left it unprocessed (`goaway`), or
   * the connection closed (`session`).
   */
  onReset(code: number, cause: 'peer' | 'goaway' | 'session'): void;
  /** The stream may write again after writeData returned false. */
  onDrain(): void;
}

/** A stream's lifecycle bits. */
const enum State {
  LocalEnded = 1,
  RemoteEnded = 2,
  Closed = 4,
}

export class H2Stream {
  public handler: H2StreamHandler | undefined;
  public sendWindow: number;
  /** Bytes the peer may still send before our next WINDOW_UPDATE. */
  public recvWindow: number;
  /** Bytes taken by the handler and not yet granted back. */
  private consumed = 0;
  private state = 0;
  private paused = false;
  private inbox: Buffer[] | undefined;
  /** Data waiting for send window, and whether END_STREAM or trailers follow it. */
  private outbox: Buffer[] | undefined;
  private outboxBytes = 0;
  private endAfterOutbox = false;
  private trailersAfterOutbox: readonly string[] | undefined;
  /** The header of the last DATA frame queued, while the session has not flushed it (END_STREAM can still be set). */
  private lastData: Buffer | undefined;
  private lastDataGen = -1;
  /** content-length the peer declared, or -1, and the DATA bytes received. */
  public expectedLength = -1;
  private received = 0;
  /** writeData returned false: onDrain is owed. */
  public wantsDrain = false;
  /** The side above started its answer (a server stream): a peer reset after that is no rapid reset. */
  public answered = false;

  public constructor(
    public readonly id: number,
    private readonly session: H2Session,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  public get localEnded(): boolean {
    return (this.state & State.LocalEnded) !== 0;
  }

  public get remoteEnded(): boolean {
    return (this.state & State.RemoteEnded) !== 0;
  }

  public get closed(): boolean {
    return (this.state & State.Closed) !== 0;
  }

  // ---- sending ----

  /** A header block: the request or response head, or (endStream) trailers. */
  public sendHeaders(fields: readonly string[], endStream: boolean): void {
    if (this.state & (State.LocalEnded | State.Closed)) return;
    if (endStream && this.outbox !== undefined) {
      // Trailers go after the DATA still waiting for window; they are encoded when sent (HPACK order).
      this.trailersAfterOutbox = fields;
      return;
    }
    this.lastData = undefined;
    this.session.writeHeaders(this.id, fields, endStream);
    if (endStream) this.localEnd();
  }

  /**
   * Body bytes, and `end`: the last of them. false: they wait for flow-control window or the socket; onDrain follows.
   */
  public writeData(data: Buffer, end: boolean): boolean {
    if (this.state & (State.LocalEnded | State.Closed)) return true;
    if (this.outbox !== undefined) {
      if (data.length > 0) {
        this.outbox.push(data);
        this.outboxBytes += data.length;
      }
      if (end) this.endAfterOutbox = true;
      this.wantsDrain = true;
      return false;
    }
    const sent = this.sendFrames(data, 0, end);
    if (sent < data.length) {
      this.outbox = [data.subarray(sent)];
      this.outboxBytes = data.length - sent;
      this.endAfterOutbox = end;
      this.session.blocked(this);
      this.wantsDrain = true;
      return false;
    }
    if (end) this.localEnd();
    if (this.session.congested) {
      this.wantsDrain = true;
      this.session.waitDrain(this);
      return false;
    }
    return true;
  }

  /** Ends the stream: END_STREAM on the last DATA frame still unflushed, or an empty DATA frame. */
  public end(): void {
    if (this.state & (State.LocalEnded | State.Closed)) return;
    if (this.outbox !== undefined) {
      this.endAfterOutbox = true;
      return;
    }
    const last = this.lastData;
    if (last !== undefined && this.lastDataGen === this.session.flushGen) {
      last[4] |= Flag.EndStream;
      this.lastData = undefined;
      this.localEnd();
      return;
    }
    this.writeData(EMPTY, true);
  }

  /** Writes DATA frames from data[from..] as far as the windows allow; returns the offset reached. */
  private sendFrames(data: Buffer, from: number, end: boolean): number {
    const s = this.session;
    const n = data.length;
    if (n === from) {
      if (end) this.dataFrame(data, from, from, true);
      return from;
    }
    while (from < n) {
      const room = Math.min(this.sendWindow, s.sendWindow, s.peerMaxFrame);
      if (room <= 0) return from;
      const len = Math.min(room, n - from);
      this.sendWindow -= len;
      s.sendWindow -= len;
      this.dataFrame(data, from, from + len, end && from + len === n);
      from += len;
    }
    return from;
  }

  private dataFrame(data: Buffer, from: number, to: number, end: boolean): void {
    const h = Buffer.allocUnsafe(FRAME_HEADER);
    writeFrameHeader(h, 0, to - from, FrameType.Data, end ? Flag.EndStream : 0, this.id);
    const s = this.session;
    s.push(h);
    if (to > from) s.push(from === 0 && to === data.length ? data : data.subarray(from, to));
    this.lastData = end ? undefined : h;
    this.lastDataGen = s.flushGen;
  }

  /** Window opened (a WINDOW_UPDATE, a SETTINGS change): sends what waits. Returns true when nothing is left. */
  public flushOutbox(): boolean {
    const box = this.outbox;
    if (box === undefined) return true;
    while (box.length > 0) {
      const head = box[0];
      const sent = this.sendFrames(head, 0, this.endAfterOutbox && box.length === 1 && this.trailersAfterOutbox === undefined);
      this.outboxBytes -= sent;
      if (sent < head.length) {
        box[0] = head.subarray(sent);
        return false;
      }
      box.shift();
    }
    this.outbox = undefined;
    const trailers = this.trailersAfterOutbox;
    this.trailersAfterOutbox = undefined;
    if (trailers !== undefined) {
      this.session.writeHeaders(this.id, trailers, true);
      this.localEnd();
    } else if (this.endAfterOutbox) {
      this.localEnd();
    }
    return true;
  }

  /** Bytes waiting for window. */
  public get queued(): number {
    return this.outboxBytes;
  }

  private localEnd(): void {
    this.state |= State.LocalEnded;
    if (this.state & State.RemoteEnded) this.session.closeStream(this);
  }

  /** Resets the stream (RST_STREAM with `code`); the handler hears nothing more. */
  public reset(code: number): void {
    if (this.state & State.Closed) return;
    this.handler = undefined;
    this.session.resetStream(this, code);
  }

  // ---- receiving (called by the session) ----

  /** DATA for this stream (flow control already charged to the connection). false: malformed (length exceeded). */
  public receiveData(data: Buffer, start: number, end: number, endStream: boolean): boolean {
    this.recvWindow -= end - start;
    this.received += end - start;
    if (this.expectedLength >= 0 && (this.received > this.expectedLength || (endStream && this.received !== this.expectedLength))) return false;
    if (this.paused || this.inbox !== undefined) {
      if (end > start) (this.inbox ??= []).push(Buffer.from(data.subarray(start, end)));
    } else if (end > start) {
      this.take(end - start);
      this.handler?.onData(data, start, end);
    }
    if (endStream) this.remoteEnd();
    return true;
  }

  /** END_STREAM from the peer: the handler's onEnd once every byte was taken. */
  public remoteEnd(): void {
    this.state |= State.RemoteEnded;
    if (this.inbox !== undefined) return;
    if (this.state & State.LocalEnded) this.session.closeStream(this);
    this.handler?.onEnd();
  }

  /** A check of the declared length at END_STREAM without DATA (a HEADERS-only end). */
  public lengthMatches(): boolean {
    return this.expectedLength < 0 || this.received === this.expectedLength;
  }

  private take(n: number): void {
    this.consumed += n;
    this.session.consumed(this, n);
  }

  /** Granting back: how much to add to the stream's window now, or 0 (the session sends the WINDOW_UPDATE). */
  public grant(initial: number): number {
    if (this.consumed < initial >>> 1 || (this.state & State.RemoteEnded) !== 0) return 0;
    const n = this.consumed;
    this.consumed = 0;
    this.recvWindow += n;
    return n;
  }

  public pause(): void {
    this.paused = true;
  }

  public resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const box = this.inbox;
    while (box !== undefined && box.length > 0 && !this.paused) {
      const d = box.shift() as Buffer;
      this.take(d.length);
      this.handler?.onData(d, 0, d.length);
      if (this.state & State.Closed) return;
    }
    if (box !== undefined && box.length === 0) {
      this.inbox = undefined;
      if (this.state & State.RemoteEnded) {
        if (this.state & State.LocalEnded) this.session.closeStream(this);
        this.handler?.onEnd();
      }
    }
  }

  /** The session took the stream out (closed both ways, reset, or the connection went). */
  public markClosed(): void {
    this.state |= State.Closed;
    this.outbox = undefined;
    this.inbox = undefined;
  }
}

const EMPTY = Buffer.alloc(0);
