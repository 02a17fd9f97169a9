/**
 * The reading half of an HTTP/2 connection (session-core.ts has the state, the streams and the output): frames are
 * parsed in place from the socket's chunks and each is checked and applied as RFC 9113 says, a connection error
 * ending the connection (GOAWAY) and a stream error resetting one stream.
 */
import type * as net from 'node:net';
import { DEFAULT_MAX_FRAME, Flag, FRAME_HEADER, FrameType, H2Error, MAX_WINDOW, pingFrame, PREFACE, rstStreamFrame, Setting, SETTINGS_ACK, unpaddedEnd } from './frames';
import type { HeaderBlock } from './header-block';
import { HpackError } from './hpack';
import { H2SessionCore, H2SessionEvents, H2SessionOptions, MAX_EMPTY_FRAMES, MAX_OUTPUT_FOR_CONTROL, MAX_STREAM_ERRORS } from './session-core';
import { H2Stream } from './stream';

export type { H2SessionEvents, H2SessionOptions };

/** The fix named when an endpoint of an HTTP/2 or gRPC app does not speak HTTP/2. */
const NOT_H2_FIX = "its port speaks HTTP/1.1: give the app Protocol.http() (listener.protocol http), or serve HTTP/2 on the pods";
export class H2Session extends H2SessionCore {
  public constructor(socket: net.Socket, o: H2SessionOptions, ev: H2SessionEvents) {
    super(socket, o, ev);
    socket.on('data', (d: Buffer) => this.receive(d));
    socket.on('drain', () => this.onSocketDrain());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.error ??= err.code ? `${err.code}: ${err.message}` : err.message;
    });
    socket.on('end', () => this.destroy(this.goingAway || this.peerGoaway ? undefined : 'the peer closed the connection'));
    socket.on('close', () => this.destroy(this.error ?? (this.goingAway || this.peerGoaway ? undefined : 'the connection closed')));
    // To an endpoint over TLS: HTTP/2 only if its handshake picked h2 (an HTTP/1.1-only port would answer garbage).
    if (!o.server && 'alpnProtocol' in socket) {
      socket.once('secureConnect', () => {
        const alpn = (socket as net.Socket & { alpnProtocol?: string | false }).alpnProtocol;
        if (alpn !== 'h2') this.destroy(`the endpoint's TLS handshake did not pick HTTP/2 (ALPN ${alpn || 'none'}); ${NOT_H2_FIX}`);
      });
    }
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
    if (!this.settingsSeen && !this.o.server && buf.length >= 5 && buf.toString('latin1', 0, 5) === 'HTTP/') {
      return this.destroy(`the endpoint answered in HTTP/1.x, not HTTP/2; ${NOT_H2_FIX}`);
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
      try {
        this.frame(type, flags, id, buf, p, at);
      } catch (err) {
        // A bug (here or in a handler) must cost this connection, never the process and every other connection.
        this.ev.onInternalError?.(err as Error);
        this.fail(H2Error.InternalError, `internal error: ${(err as Error).message}`);
        return;
      }
      if (this.closed || this.discarding) return;
    }
    if (at < n) this.input = at === 0 ? buf : buf.subarray(at);
  }

  private frame(type: number, flags: number, id: number, b: Buffer, p: number, end: number): void {
    if (!this.settingsSeen && type !== FrameType.Settings) return this.fail(H2Error.ProtocolError, 'the first frame was not SETTINGS');
    if (this.blocks.open && (type !== FrameType.Continuation || id !== this.blocks.stream)) {
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
  private data(flags: number, id: number, b: Buffer, p: number, end: number): void {
    if (id === 0) return this.fail(H2Error.ProtocolError, 'DATA on stream 0');
    const len = end - p;
    if (len > this.recvWindow) return this.fail(H2Error.FlowControlError, 'DATA beyond the connection window');
    this.recvWindow -= len;
    const s = this.streams.get(id);
    const stop = unpaddedEnd(flags, b, p, end);
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

  private headers(flags: number, id: number, b: Buffer, p: number, end: number): void {
    if (id === 0) return this.fail(H2Error.ProtocolError, 'HEADERS on stream 0');
    this.block(id, this.blocks.headers(flags, id, b, p, end));
  }

  private continuation(flags: number, id: number, b: Buffer, p: number, end: number): void {
    this.block(id, this.blocks.continuation(flags, b, p, end));
  }

  private block(id: number, r: HeaderBlock | undefined | string): void {
    if (r === undefined) return;
    if (r === 'self-dependency') return this.streamError(id, H2Error.ProtocolError);
    if (typeof r === 'string') return this.fail(r.startsWith('a header block') ? H2Error.EnhanceYourCalm : H2Error.ProtocolError, r);
    this.headerBlock(id, r.b, r.start, r.end, r.endStream);
  }

  /** A complete header block for stream `id`. */
  private headerBlock(id: number, b: Buffer, start: number, stop: number, endStream: boolean): void {
    const fields: string[] = [];
    let size: number;
    try {
      size = this.decoder.decode(b, start, stop, fields, this.o.maxHeaderListSize);
    } catch (err) {
      if (err instanceof HpackError) return this.fail(H2Error.CompressionError, `HPACK: ${err.message}`);
      throw err;
    }
    const tooLarge = size > this.o.maxHeaderListSize;
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
    if (this.q.pending > MAX_OUTPUT_FOR_CONTROL) {
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
    if (this.q.pending > MAX_OUTPUT_FOR_CONTROL) {
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
