/**
 * An HTTP/2 connection on a socket, as a server (client connections) or as a client (sessions to endpoints): the
 * proxy's own codec, replacing node:http2, whose per-stream objects, streams API and async hooks cost more than the
 * proxying itself (a bare node:http2 server managed 22k answers/s here; a proxy through it 3-5k).
 *
 * It reads frames in place from the socket's chunks, decodes header blocks with HPACK (hpack.ts), keeps both
 * flow-control windows, and queues what it writes until the end of the tick, so every frame made while handling one
 * read (or one endpoint's answer) leaves in one write.
 *
 * The peer's errors follow RFC 9113 5.4: a connection error sends GOAWAY with the code and closes; a stream error
 * resets that stream only. Bounds against hostile peers:
 * - a header block (HEADERS + CONTINUATION) larger than MAX_HEADER_BLOCK, or split into more than MAX_CONTINUATIONS
 *   frames, closes the connection (the CONTINUATION flood);
 * - streams above SETTINGS_MAX_CONCURRENT_STREAMS are refused (REFUSED_STREAM), the connection stays;
 * - a header list above SETTINGS_MAX_HEADER_LIST_SIZE is still decoded (the HPACK table must stay in step) and then
 *   refused by the side above (431), without holding the list;
 * - frames we must answer (PING, SETTINGS) are refused once the peer does not read our output (ping flood);
 * - more than MAX_STREAM_ERRORS malformed streams, or MAX_EMPTY_FRAMES empty DATA frames, close the connection.
 * The rapid-reset bound (a peer that opens and cancels streams) is the server front's, which knows what it answered.
 */
import type * as net from 'node:net';
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  goawayFrame,
  H2Error,
  headersFrames,
  pingFrame,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
} from './frames';
import { HeaderBlockReader } from './header-block';
import { HpackDecoder, HpackEncoder } from './hpack';
import { FrameQueue } from './output';
import { H2Stream } from './stream';

export const MAX_STREAM_ERRORS = 100;
export const MAX_EMPTY_FRAMES = 1_000;
/** Our unsent output past which a peer's PING and SETTINGS are not answered but end the connection. */
export const MAX_OUTPUT_FOR_CONTROL = 1024 * 1024;
/** Between a GOAWAY for an error and the close of the socket (the peer should read it first). */
const GOAWAY_GRACE_MS = 200;

export interface H2SessionOptions {
  readonly server: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS we allow the peer (server side). */
  readonly maxConcurrentStreams: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE we announce; a larger list is decoded but flagged (see onStream's `tooLarge`). */
  readonly maxHeaderListSize: number;
  /** The receive window of each stream, and of the connection. */
  readonly streamWindow: number;
  readonly connectionWindow: number;
}

export interface H2SessionEvents {
  /** Server: a new stream. `tooLarge`: its header list passed maxHeaderListSize and `fields` is incomplete. */
  onStream?(stream: H2Stream, fields: string[], endStream: boolean, tooLarge: boolean): void;
  /** The peer's SETTINGS arrived (the first time: the session is ready for streams). */
  onSettings?(first: boolean): void;
  onGoaway?(lastStream: number, code: number): void;
  /** A client reset an open stream (server side; the rapid-reset bound). */
  onPeerReset?(stream: H2Stream): void;
  onPingAck?(): void;
  /** An exception while handling a frame (a bug): the connection is failed with INTERNAL_ERROR, the process goes on. */
  onInternalError?(err: Error): void;
  /** The connection is gone; `error` says why when it was not a clean close. Every stream was reset before. */
  onClose(error: string | undefined): void;
}

export class H2SessionCore {
  public readonly streams = new Map<number, H2Stream>();
  /** Peer settings in force. */
  public peerMaxFrame = DEFAULT_MAX_FRAME;
  public peerMaxStreams = 100;
  protected peerInitialWindow = DEFAULT_WINDOW;
  /** The connection's send window, and what the peer may still send us. */
  public sendWindow = DEFAULT_WINDOW;
  protected recvWindow: number;
  protected recvConsumed = 0;
  protected readonly decoder: HpackDecoder;
  protected readonly encoder = new HpackEncoder();
  protected input: Buffer | undefined;
  protected prefaceNeeded: boolean;
  protected settingsSeen = false;
  protected readonly blocks = new HeaderBlockReader();
  /** Highest stream id the peer opened (server), and our next id (client). */
  public lastPeerStream = 0;
  protected nextStreamId = 1;
  protected readonly q: FrameQueue;
  protected readonly blockedStreams = new Set<H2Stream>();
  protected readonly drainWaiters = new Set<H2Stream>();
  protected streamErrors = 0;
  protected emptyFrames = 0;
  /** GOAWAY sent (`goingAway`) or received (`peerGoaway`): no new streams. */
  public goingAway = false;
  public peerGoaway = false;
  public closed = false;
  /** After a connection error: input is read and dropped. */
  protected discarding = false;
  protected error: string | undefined;

  public constructor(
    public readonly socket: net.Socket,
    protected readonly o: H2SessionOptions,
    protected readonly ev: H2SessionEvents,
  ) {
    this.decoder = new HpackDecoder(4096);
    this.q = new FrameQueue(socket);
    this.recvWindow = o.connectionWindow;
    this.prefaceNeeded = o.server;
    const settings: [number, number][] = [
      [Setting.EnablePush, 0],
      [Setting.InitialWindowSize, o.streamWindow],
      [Setting.MaxHeaderListSize, o.maxHeaderListSize],
    ];
    if (o.server) settings.push([Setting.MaxConcurrentStreams, o.maxConcurrentStreams]);
    if (!o.server) this.push(PREFACE);
    this.push(settingsFrame(settings));
    if (o.connectionWindow > DEFAULT_WINDOW) this.push(windowUpdateFrame(0, o.connectionWindow - DEFAULT_WINDOW));
  }

  // ---- output ----

  /** Queues bytes for the end-of-tick write. */
  public push(b: Buffer): void {
    this.q.push(b);
  }

  public get flushGen(): number {
    return this.q.gen;
  }

  /** The output is above its high-water mark: writers should wait for onDrain. */
  public get congested(): boolean {
    return this.q.congested;
  }

  public waitDrain(s: H2Stream): void {
    this.drainWaiters.add(s);
  }

  public blocked(s: H2Stream): void {
    this.blockedStreams.add(s);
  }

  protected onSocketDrain(): void {
    if (this.drainWaiters.size === 0) return;
    const list = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const s of list) this.drained(s);
  }

  protected drained(s: H2Stream): void {
    if (!s.wantsDrain || s.closed) return;
    if (this.congested) {
      this.drainWaiters.add(s);
      return;
    }
    s.wantsDrain = false;
    s.handler?.onDrain();
  }

  /** Window opened: the blocked streams send what they can, oldest first. */
  protected unblock(): void {
    for (const s of this.blockedStreams) {
      if (this.sendWindow <= 0) return;
      if (s.sendWindow <= 0) continue;
      if (s.flushOutbox()) {
        this.blockedStreams.delete(s);
        this.drained(s);
      }
    }
  }

  public writeHeaders(id: number, fields: readonly string[], endStream: boolean): void {
    const block = this.encoder.encode(fields);
    this.push(headersFrames(id, block, endStream, this.peerMaxFrame));
  }

  // ---- streams ----

  /** Client: opens a stream with the request head. undefined when the session takes no more streams. */
  public request(fields: readonly string[], endStream: boolean, handler: H2StreamHandlerLike): H2Stream | undefined {
    if (this.closed || this.goingAway || this.peerGoaway || this.nextStreamId > 0x7fffffff) return undefined;
    const s = new H2Stream(this.nextStreamId, this, this.peerInitialWindow, this.o.streamWindow);
    this.nextStreamId += 2;
    s.handler = handler;
    this.streams.set(s.id, s);
    s.sendHeaders(fields, endStream);
    return s;
  }

  /** Stream ids a client session has left. */
  public get idsLeft(): number {
    return (0x7fffffff - this.nextStreamId) >>> 1;
  }

  /** Both sides ended: the stream is done. */
  public closeStream(s: H2Stream): void {
    if (s.closed) return;
    s.markClosed();
    this.streams.delete(s.id);
    this.blockedStreams.delete(s);
    this.drainWaiters.delete(s);
    if (this.goingAway && this.streams.size === 0) this.endSoon();
  }

  public resetStream(s: H2Stream, code: number): void {
    if (s.closed) return;
    this.push(rstStreamFrame(s.id, code));
    this.closeStream(s);
  }

  /** The handler took `n` bytes of a stream: grant them back when half a window is used. */
  public consumed(s: H2Stream, n: number): void {
    this.recvConsumedRaw(n);
    const grant = s.grant(this.o.streamWindow);
    if (grant > 0) this.push(windowUpdateFrame(s.id, grant));
  }

  // ---- GOAWAY and closing ----

  /** Graceful GOAWAY: no new streams; the connection closes when the open ones are done. */
  public goaway(code: number = H2Error.NoError, debug = ''): void {
    if (this.closed || this.goingAway) return;
    this.goingAway = true;
    this.push(goawayFrame(this.lastPeerStream, code, debug));
    if (this.streams.size === 0) this.endSoon();
  }

  /** A connection error: GOAWAY with the code, every stream reset, the socket closed after a grace. */
  public fail(code: number, why: string): void {
    if (this.closed) return;
    this.error ??= why;
    if (!this.goingAway) {
      this.goingAway = true;
      this.push(goawayFrame(this.lastPeerStream, code, why.slice(0, 120)));
    }
    this.input = undefined;
    this.discarding = true;
    this.resetAll('session');
    this.endSoon();
  }

  protected endSoon(): void {
    if (this.socket.destroyed) return;
    this.q.flush();
    this.socket.end();
    // Input that still arrives is read and dropped, so the close is not a TCP reset that may discard the GOAWAY.
    const t = setTimeout(() => this.destroy(undefined), GOAWAY_GRACE_MS);
    t.unref();
  }

  /** Closes at once; the streams left are reset. */
  public destroy(error: string | undefined): void {
    if (this.closed) return;
    this.closed = true;
    if (error !== undefined) this.error ??= error;
    this.resetAll('session');
    if (!this.socket.destroyed) this.socket.destroy();
    this.ev.onClose(this.error);
  }

  protected resetAll(cause: 'session' | 'goaway', above = 0): void {
    for (const s of [...this.streams.values()]) {
      if (s.id <= above) continue;
      const h = s.handler;
      this.closeStream(s);
      h?.onReset(H2Error.Cancel, cause);
    }
  }

  public ping(data: Buffer): boolean {
    if (this.closed) return false;
    this.push(pingFrame(data, false));
    return true;
  }

  /** Flow-controlled bytes that reach no handler (padding, closed streams): granted back at once. */
  protected recvConsumedRaw(n: number): void {
    this.recvConsumed += n;
    if (this.recvConsumed >= this.o.connectionWindow >>> 1) {
      this.push(windowUpdateFrame(0, this.recvConsumed));
      this.recvWindow += this.recvConsumed;
      this.recvConsumed = 0;
    }
  }

  /** A stream id the peer has not opened yet. */
  protected isIdle(id: number): boolean {
    if (this.o.server) return (id & 1) === 1 ? id > this.lastPeerStream : true;
    return (id & 1) === 1 ? id >= this.nextStreamId : true;
  }

  /** A stream error from the peer's frames: RST_STREAM, and too many of them end the connection. */
  public streamError(id: number, code: number): void {
    const s = this.streams.get(id);
    if (s !== undefined) {
      const h = s.handler;
      this.resetStream(s, code);
      h?.onReset(code, 'peer');
    } else {
      this.push(rstStreamFrame(id, code));
    }
    if (++this.streamErrors > MAX_STREAM_ERRORS) this.fail(H2Error.EnhanceYourCalm, 'too many malformed streams');
  }

  /** A malformed request found by the side above: counted like the codec's own stream errors. */
  public refuseMalformed(s: H2Stream): void {
    this.resetStream(s, H2Error.ProtocolError);
    if (++this.streamErrors > MAX_STREAM_ERRORS) this.fail(H2Error.EnhanceYourCalm, 'too many malformed streams');
  }
}

/** The handler shape, for request(). */
type H2StreamHandlerLike = NonNullable<H2Stream['handler']>;
