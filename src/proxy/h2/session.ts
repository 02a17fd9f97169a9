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
  Flag,
  FRAME_HEADER,
  FrameType,
  goawayFrame,
  H2Error,
  headersFrames,
  MAX_WINDOW,
  pingFrame,
  PREFACE,
  rstStreamFrame,
  Setting,
  SETTINGS_ACK,
  settingsFrame,
  windowUpdateFrame,
} from './frames';
import { HpackDecoder, HpackEncoder, HpackError } from './hpack';
import { H2Stream } from './stream';

/** The header block bytes a peer may send for one head, compressed (the list itself is bounded separately). */
const MAX_HEADER_BLOCK = 256 * 1024;
const MAX_CONTINUATIONS = 64;
const MAX_STREAM_ERRORS = 100;
const MAX_EMPTY_FRAMES = 1_000;
/** Our unsent output past which a peer's PING and SETTINGS are not answered but end the connection. */
const MAX_OUTPUT_FOR_CONTROL = 1024 * 1024;
/** Our output at which streams are told to wait (writeData returns false). */
const OUTPUT_HIGH_WATER = 256 * 1024;
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
  /** The connection is gone; `error` says why when it was not a clean close. Every stream was reset before. */
  onClose(error: string | undefined): void;
}

export class H2Session {
  public readonly streams = new Map<number, H2Stream>();
  /** Peer settings in force. */
  public peerMaxFrame = DEFAULT_MAX_FRAME;
  public peerMaxStreams = 100;
  private peerInitialWindow = DEFAULT_WINDOW;
  /** The connection's send window, and what the peer may still send us. */
  public sendWindow = DEFAULT_WINDOW;
  private recvWindow: number;
  private recvConsumed = 0;
  private readonly decoder: HpackDecoder;
  private readonly encoder = new HpackEncoder();
  private input: Buffer | undefined;
  private prefaceNeeded: boolean;
  private settingsSeen = false;
  /** A header block being assembled from HEADERS + CONTINUATION. */
  private block: Buffer[] | undefined;
  private blockBytes = 0;
  private blockStream = 0;
  private blockEnd = false;
  private blockFrames = 0;
  /** Highest stream id the peer opened (server), and our next id (client). */
  public lastPeerStream = 0;
  private nextStreamId = 1;
  private out: Buffer[] = [];
  private outBytes = 0;
  private flushQueued = false;
  /** Counts flushes: a frame queued in the current generation is still unsent and can be changed. */
  public flushGen = 0;
  private readonly blockedStreams = new Set<H2Stream>();
  private readonly drainWaiters = new Set<H2Stream>();
  private streamErrors = 0;
  private emptyFrames = 0;
  /** GOAWAY sent (`goingAway`) or received (`peerGoaway`): no new streams. */
  public goingAway = false;
  public peerGoaway = false;
  public closed = false;
  /** After a connection error: input is read and dropped. */
  private discarding = false;
  private error: string | undefined;

  public constructor(
    public readonly socket: net.Socket,
    private readonly o: H2SessionOptions,
    private readonly ev: H2SessionEvents,
  ) {
    this.decoder = new HpackDecoder(4096);
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
    socket.on('data', (d: Buffer) => this.receive(d));
    socket.on('drain', () => this.onSocketDrain());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.error ??= err.code ? `${err.code}: ${err.message}` : err.message;
    });
    socket.on('end', () => this.destroy(this.goingAway || this.peerGoaway ? undefined : 'the peer closed the connection'));
    socket.on('close', () => this.destroy(this.error ?? (this.goingAway || this.peerGoaway ? undefined : 'the connection closed')));
  }

  // ---- output ----

  /** Queues bytes for the end-of-tick write. */
  public push(b: Buffer): void {
    this.out.push(b);
    this.outBytes += b.length;
    if (!this.flushQueued) {
      this.flushQueued = true;
      process.nextTick(flushSession, this);
    }
  }

  public flush(): void {
    this.flushQueued = false;
    this.flushGen++;
    const out = this.out;
    if (out.length === 0 || this.socket.destroyed) {
      this.out = [];
      this.outBytes = 0;
      return;
    }
    this.out = [];
    const n = this.outBytes;
    this.outBytes = 0;
    if (out.length === 1) this.socket.write(out[0]);
    else if (n <= 64 * 1024) this.socket.write(Buffer.concat(out, n));
    else {
      this.socket.cork();
      for (const b of out) this.socket.write(b);
      this.socket.uncork();
    }
  }

  /** The socket holds more than the high-water mark: writers should wait for onDrain. */
  public get congested(): boolean {
    return this.outBytes + this.socket.writableLength > OUTPUT_HIGH_WATER;
  }

  public waitDrain(s: H2Stream): void {
    this.drainWaiters.add(s);
  }

  public blocked(s: H2Stream): void {
    this.blockedStreams.add(s);
  }

  private onSocketDrain(): void {
    if (this.drainWaiters.size === 0) return;
    const list = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const s of list) this.drained(s);
  }

  private drained(s: H2Stream): void {
    if (!s.wantsDrain || s.closed) return;
    if (this.congested) {
      this.drainWaiters.add(s);
      return;
    }
    s.wantsDrain = false;
    s.handler?.onDrain();
  }

  /** Window opened: the blocked streams send what they can, oldest first. */
  private unblock(): void {
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
    this.recvConsumed += n;
    if (this.recvConsumed >= this.o.connectionWindow >>> 1) {
      this.push(windowUpdateFrame(0, this.recvConsumed));
      this.recvWindow += this.recvConsumed;
      this.recvConsumed = 0;
    }
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

  private endSoon(): void {
    if (this.socket.destroyed) return;
    this.flush();
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

  private resetAll(cause: 'session' | 'goaway', above = 0): void {
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

  // ---- input ----

  /** Bytes from the peer (the socket's, or ones read before the session took the socket). */
  public receive(chunk: Buffer): void {
    if (this.closed || this.discarding) return;
    let buf = chunk;
    if (this.input !== undefined) {
      buf = Buffer.concat([this.input, chunk]);
      this.input = undefined;
    }
    let at = 0;
    if (this.prefaceNeeded) {
      if (buf.length < PREFACE.length) {
        if (PREFACE.compare(buf, 0, buf.length, 0, buf.length) !== 0) return this.fail(H2Error.ProtocolError, 'not an HTTP/2 connection preface');
        this.input = buf;
        return;
      }
      if (PREFACE.compare(buf, 0, PREFACE.length, 0, PREFACE.length) !== 0) return this.fail(H2Error.ProtocolError, 'not an HTTP/2 connection preface');
      this.prefaceNeeded = false;
      at = PREFACE.length;
    }
    const n = buf.length;
    while (n - at >= FRAME_HEADER) {
      const len = (buf[at] << 16) | (buf[at + 1] << 8) | buf[at + 2];
      if (len > DEFAULT_MAX_FRAME) return this.fail(H2Error.FrameSizeError, `a frame of ${len} bytes, above SETTINGS_MAX_FRAME_SIZE`);
      if (n - at < FRAME_HEADER + len) break;
      const type = buf[at + 3];
      const flags = buf[at + 4];
      const id = buf.readUInt32BE(at + 5) & 0x7fffffff;
      const p = at + FRAME_HEADER;
      at = p + len;
      this.frame(type, flags, id, buf, p, at);
      if (this.closed || this.discarding) return;
    }
    if (at < n) this.input = at === 0 ? buf : buf.subarray(at);
  }

  private frame(type: number, flags: number, id: number, b: Buffer, p: number, end: number): void {
    if (!this.settingsSeen && type !== FrameType.Settings) return this.fail(H2Error.ProtocolError, 'the first frame was not SETTINGS');
    if (this.block !== undefined && (type !== FrameType.Continuation || id !== this.blockStream)) {
      return this.fail(H2Error.ProtocolError, 'a frame inside a header block (CONTINUATION expected)');
    }
    switch (type) {
      case FrameType.Data:
        return this.data(flags, id, b, p, end);
      case FrameType.Headers:
        return this.headers(flags, id, b, p, end);
      case FrameType.Continuation:
        return this.continuation(flags, id, b, p, end);
      case FrameType.RstStream:
        return this.rstStream(id, b, p, end);
      case FrameType.Settings:
        return this.settings(flags, id, b, p, end);
      case FrameType.Ping:
        return this.pingFrame(flags, id, b, p, end);
      case FrameType.Goaway:
        return this.goawayFrame(id, b, p, end);
      case FrameType.WindowUpdate:
        return this.windowUpdate(id, b, p, end);
      case FrameType.Priority:
        if (id === 0) return this.fail(H2Error.ProtocolError, 'PRIORITY on stream 0');
        if (end - p !== 5) return this.streamError(id, H2Error.FrameSizeError);
        return;
      case FrameType.PushPromise:
        return this.fail(H2Error.ProtocolError, 'PUSH_PROMISE, which this side disabled');
      default:
        return; // unknown frame types are ignored (RFC 9113 4.1)
    }
  }

  /** The payload without padding: [start, end), or undefined when the padding is invalid. */
  private unpad(flags: number, b: Buffer, p: number, end: number): number {
    if ((flags & Flag.Padded) === 0) return end;
    if (p >= end) return -1;
    const pad = b[p];
    return pad <= end - p - 1 ? end - pad : -1;
  }

  private data(flags: number, id: number, b: Buffer, p: number, end: number): void {
    if (id === 0) return this.fail(H2Error.ProtocolError, 'DATA on stream 0');
    const len = end - p;
    if (len > this.recvWindow) return this.fail(H2Error.FlowControlError, 'DATA beyond the connection window');
    this.recvWindow -= len;
    const s = this.streams.get(id);
    const stop = this.unpad(flags, b, p, end);
    if (stop < 0) return this.fail(H2Error.ProtocolError, 'DATA padding longer than the frame');
    const start = (flags & Flag.Padded) !== 0 ? p + 1 : p;
    const endStream = (flags & Flag.EndStream) !== 0;
    if (s === undefined || s.remoteEnded) {
      // A stream closed or unknown: the bytes still count against the connection window, which is granted back.
      this.recvConsumedRaw(len);
      if (this.isIdle(id)) return this.fail(H2Error.ProtocolError, `DATA on idle stream ${id}`);
      if (s !== undefined) this.streamError(id, H2Error.StreamClosed);
      return;
    }
    if (len > s.recvWindow) return this.streamError(id, H2Error.FlowControlError);
    if (stop === start && !endStream && ++this.emptyFrames > MAX_EMPTY_FRAMES) {
      return this.fail(H2Error.EnhanceYourCalm, 'too many empty DATA frames');
    }
    // Padding is flow-controlled but never reaches the handler: granted back now.
    if (len - (stop - start) > 0) this.recvConsumedRaw(len - (stop - start));
    if (!s.receiveData(b, start, stop, endStream)) {
      this.streamError(id, H2Error.ProtocolError);
    }
  }

  private recvConsumedRaw(n: number): void {
    this.recvConsumed += n;
    if (this.recvConsumed >= this.o.connectionWindow >>> 1) {
      this.push(windowUpdateFrame(0, this.recvConsumed));
      this.recvWindow += this.recvConsumed;
      this.recvConsumed = 0;
    }
  }

  /** A stream id the peer has not opened yet. */
  private isIdle(id: number): boolean {
    if (this.o.server) return (id & 1) === 1 ? id > this.lastPeerStream : true;
    return (id & 1) === 1 ? id >= this.nextStreamId : true;
  }

  private headers(flags: number, id: number, b: Buffer, p: number, end: number): void {
    if (id === 0) return this.fail(H2Error.ProtocolError, 'HEADERS on stream 0');
    let start = p;
    const stop = this.unpad(flags, b, p, end);
    if (stop < 0) return this.fail(H2Error.ProtocolError, 'HEADERS padding longer than the frame');
    if (flags & Flag.Padded) start++;
    if (flags & Flag.Priority) {
      if (stop - start < 5) return this.fail(H2Error.FrameSizeError, 'HEADERS too short for its priority');
      if ((b.readUInt32BE(start) & 0x7fffffff) === id) return this.streamError(id, H2Error.ProtocolError);
      start += 5;
    }
    this.blockStream = id;
    this.blockEnd = (flags & Flag.EndStream) !== 0;
    this.blockFrames = 1;
    if (flags & Flag.EndHeaders) {
      this.headerBlock(id, b, start, stop);
      return;
    }
    this.block = [Buffer.from(b.subarray(start, stop))];
    this.blockBytes = stop - start;
  }

  private continuation(flags: number, id: number, b: Buffer, p: number, end: number): void {
    const parts = this.block;
    if (parts === undefined) return this.fail(H2Error.ProtocolError, 'CONTINUATION without HEADERS');
    this.blockBytes += end - p;
    if (this.blockBytes > MAX_HEADER_BLOCK || ++this.blockFrames > MAX_CONTINUATIONS) {
      return this.fail(H2Error.EnhanceYourCalm, 'a header block too large or in too many CONTINUATION frames');
    }
    parts.push(Buffer.from(b.subarray(p, end)));
    if ((flags & Flag.EndHeaders) === 0) return;
    this.block = undefined;
    const whole = Buffer.concat(parts, this.blockBytes);
    this.headerBlock(id, whole, 0, whole.length);
  }

  /** A complete header block for stream `id`. */
  private headerBlock(id: number, b: Buffer, start: number, stop: number): void {
    const fields: string[] = [];
    let size: number;
    try {
      size = this.decoder.decode(b, start, stop, fields, this.o.maxHeaderListSize);
    } catch (err) {
      if (err instanceof HpackError) return this.fail(H2Error.CompressionError, `HPACK: ${err.message}`);
      throw err;
    }
    const tooLarge = size > this.o.maxHeaderListSize;
    const endStream = this.blockEnd;
    const s = this.streams.get(id);
    if (s !== undefined) {
      // Trailers (or, on the client, a response head): the stream is open and the peer has not ended it.
      if (s.remoteEnded) return this.streamError(id, H2Error.StreamClosed);
      if (tooLarge) return this.streamError(id, H2Error.ProtocolError);
      if (this.o.server && !endStream) return this.streamError(id, H2Error.ProtocolError);
      s.handler?.onHeaders(fields, endStream);
      if (endStream && !s.closed) {
        if (!s.lengthMatches()) return this.streamError(id, H2Error.ProtocolError);
        s.remoteEnd();
      }
      return;
    }
    if (!this.o.server) {
      if (this.isIdle(id)) return this.fail(H2Error.ProtocolError, `HEADERS on stream ${id}, which this side never opened`);
      return; // a stream we reset or finished: ignored
    }
    if ((id & 1) === 0) return this.fail(H2Error.ProtocolError, `a client opened even stream id ${id}`);
    if (id <= this.lastPeerStream) {
      // A stream that is over (reset by us, or done): RFC 9113 5.1 lets us treat it as closed.
      return this.fail(H2Error.StreamClosed, `HEADERS on closed stream ${id}`);
    }
    this.lastPeerStream = id;
    if (this.goingAway) return; // above the last stream id of our GOAWAY: ignored, the client retries elsewhere
    if (this.streams.size >= this.o.maxConcurrentStreams) {
      this.push(rstStreamFrame(id, H2Error.RefusedStream));
      if (++this.streamErrors > MAX_STREAM_ERRORS * 10) this.fail(H2Error.EnhanceYourCalm, 'too many refused streams');
      return;
    }
    const ns = new H2Stream(id, this, this.peerInitialWindow, this.o.streamWindow);
    this.streams.set(id, ns);
    this.ev.onStream?.(ns, fields, endStream, tooLarge);
    if (endStream && !ns.closed && !ns.remoteEnded) ns.remoteEnd();
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

  private rstStream(id: number, b: Buffer, p: number, end: number): void {
    if (id === 0) return this.fail(H2Error.ProtocolError, 'RST_STREAM on stream 0');
    if (end - p !== 4) return this.fail(H2Error.FrameSizeError, 'RST_STREAM of a wrong size');
    if (this.isIdle(id)) return this.fail(H2Error.ProtocolError, `RST_STREAM on idle stream ${id}`);
    const s = this.streams.get(id);
    if (s === undefined) return;
    const code = b.readUInt32BE(p);
    const h = s.handler;
    this.closeStream(s);
    if (this.o.server) this.ev.onPeerReset?.(s);
    h?.onReset(code, 'peer');
  }

  private settings(flags: number, id: number, b: Buffer, p: number, end: number): void {
    if (id !== 0) return this.fail(H2Error.ProtocolError, 'SETTINGS on a stream');
    if (flags & Flag.Ack) {
      if (end !== p) return this.fail(H2Error.FrameSizeError, 'SETTINGS ack with a payload');
      return;
    }
    if ((end - p) % 6 !== 0) return this.fail(H2Error.FrameSizeError, 'SETTINGS of a wrong size');
    for (let q = p; q < end; q += 6) {
      const key = b.readUInt16BE(q);
      const v = b.readUInt32BE(q + 2);
      switch (key) {
        case Setting.HeaderTableSize:
          this.encoder.setPeerMaxTableSize(v);
          break;
        case Setting.EnablePush:
          if (v > 1 || (v === 1 && !this.o.server)) return this.fail(H2Error.ProtocolError, `SETTINGS_ENABLE_PUSH ${v}`);
          break;
        case Setting.MaxConcurrentStreams:
          this.peerMaxStreams = v;
          break;
        case Setting.InitialWindowSize: {
          if (v > MAX_WINDOW) return this.fail(H2Error.FlowControlError, `SETTINGS_INITIAL_WINDOW_SIZE ${v}`);
          const delta = v - this.peerInitialWindow;
          this.peerInitialWindow = v;
          for (const s of this.streams.values()) s.sendWindow += delta;
          break;
        }
        case Setting.MaxFrameSize:
          if (v < DEFAULT_MAX_FRAME || v > 0xffffff) return this.fail(H2Error.ProtocolError, `SETTINGS_MAX_FRAME_SIZE ${v}`);
          this.peerMaxFrame = v;
          break;
        default:
          break; // unknown settings are ignored
      }
    }
    if (this.outBytes + this.socket.writableLength > MAX_OUTPUT_FOR_CONTROL) {
      return this.fail(H2Error.EnhanceYourCalm, 'SETTINGS while our output is not read');
    }
    this.push(SETTINGS_ACK);
    const first = !this.settingsSeen;
    this.settingsSeen = true;
    this.unblock();
    this.ev.onSettings?.(first);
  }

  private pingFrame(flags: number, id: number, b: Buffer, p: number, end: number): void {
    if (id !== 0) return this.fail(H2Error.ProtocolError, 'PING on a stream');
    if (end - p !== 8) return this.fail(H2Error.FrameSizeError, 'PING of a wrong size');
    if (flags & Flag.Ack) {
      this.ev.onPingAck?.();
      return;
    }
    if (this.outBytes + this.socket.writableLength > MAX_OUTPUT_FOR_CONTROL) {
      return this.fail(H2Error.EnhanceYourCalm, 'PINGs while our output is not read');
    }
    this.push(pingFrame(b.subarray(p, end), true));
  }

  private goawayFrame(id: number, b: Buffer, p: number, end: number): void {
    if (id !== 0) return this.fail(H2Error.ProtocolError, 'GOAWAY on a stream');
    if (end - p < 8) return this.fail(H2Error.FrameSizeError, 'GOAWAY too short');
    const last = b.readUInt32BE(p) & 0x7fffffff;
    const code = b.readUInt32BE(p + 4);
    this.peerGoaway = true;
    this.ev.onGoaway?.(last, code);
    // Our streams above `last` were not processed: they may go again elsewhere.
    if (!this.o.server) this.resetAll('goaway', last);
    if (this.streams.size === 0) this.endSoon();
  }

  private windowUpdate(id: number, b: Buffer, p: number, end: number): void {
    if (end - p !== 4) return this.fail(H2Error.FrameSizeError, 'WINDOW_UPDATE of a wrong size');
    const inc = b.readUInt32BE(p) & 0x7fffffff;
    if (id === 0) {
      if (inc === 0) return this.fail(H2Error.ProtocolError, 'WINDOW_UPDATE of 0');
      this.sendWindow += inc;
      if (this.sendWindow > MAX_WINDOW) return this.fail(H2Error.FlowControlError, 'the connection window passed 2^31-1');
      this.unblock();
      return;
    }
    const s = this.streams.get(id);
    if (s === undefined) {
      if (this.isIdle(id)) return this.fail(H2Error.ProtocolError, `WINDOW_UPDATE on idle stream ${id}`);
      return;
    }
    if (inc === 0) return this.streamError(id, H2Error.ProtocolError);
    s.sendWindow += inc;
    if (s.sendWindow > MAX_WINDOW) return this.streamError(id, H2Error.FlowControlError);
    if (s.queued > 0 && this.sendWindow > 0 && s.flushOutbox()) {
      this.blockedStreams.delete(s);
      this.drained(s);
    }
  }
}

/** The handler shape, for request() (avoids an import cycle in type positions). */
type H2StreamHandlerLike = NonNullable<H2Stream['handler']>;

function flushSession(s: H2Session): void {
  s.flush();
}
