/**
 * HTTP/2 frames (RFC 9113 4 and 6): the type and flag numbers, the error codes, and writers that lay a frame into
 * one Buffer. Reading is the session's (session.ts): it parses frame headers in place from its input buffer.
 */

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME_HEADER = 9;

export const enum FrameType {
  Data = 0,
  Headers = 1,
  Priority = 2,
  RstStream = 3,
  Settings = 4,
  PushPromise = 5,
  Ping = 6,
  Goaway = 7,
  WindowUpdate = 8,
  Continuation = 9,
}

export const enum Flag {
  EndStream = 0x1,
  Ack = 0x1,
  EndHeaders = 0x4,
  Padded = 0x8,
  Priority = 0x20,
}

/** Error codes (RFC 9113 7). */
export const enum H2Error {
  NoError = 0,
  ProtocolError = 1,
  InternalError = 2,
  FlowControlError = 3,
  SettingsTimeout = 4,
  StreamClosed = 5,
  FrameSizeError = 6,
  RefusedStream = 7,
  Cancel = 8,
  CompressionError = 9,
  ConnectError = 10,
  EnhanceYourCalm = 11,
  InadequateSecurity = 12,
  Http11Required = 13,
}

export const enum Setting {
  HeaderTableSize = 1,
  EnablePush = 2,
  MaxConcurrentStreams = 3,
  InitialWindowSize = 4,
  MaxFrameSize = 5,
  MaxHeaderListSize = 6,
}

/** The protocol's defaults, which hold until the peer's SETTINGS say otherwise. */
export const DEFAULT_WINDOW = 65_535;
export const DEFAULT_MAX_FRAME = 16_384;
export const MAX_WINDOW = 2 ** 31 - 1;

/**
 * Where the payload of a frame that may be PADDED (DATA, HEADERS) ends: `end` without the flag, else before the
 * padding; -1 when the padding is longer than the frame (a connection error, RFC 9113 6.1). The payload starts one
 * byte later when padded.
 */
export function unpaddedEnd(flags: number, b: Buffer, p: number, end: number): number {
  if ((flags & Flag.Padded) === 0) return end;
  if (p >= end || b[p] > end - p - 1) return -1;
  return end - b[p];
}

/** Writes a frame header at `at` of `buf`. */
export function writeFrameHeader(buf: Buffer, at: number, length: number, type: number, flags: number, stream: number): void {
  buf[at] = length >>> 16;
  buf[at + 1] = (length >>> 8) & 0xff;
  buf[at + 2] = length & 0xff;
  buf[at + 3] = type;
  buf[at + 4] = flags;
  buf.writeUInt32BE(stream, at + 5);
}

/** A frame with an empty payload or a payload to copy in. */
export function frame(type: number, flags: number, stream: number, payload?: Buffer): Buffer {
  const n = payload === undefined ? 0 : payload.length;
  const buf = Buffer.allocUnsafe(FRAME_HEADER + n);
  writeFrameHeader(buf, 0, n, type, flags, stream);
  if (payload !== undefined) payload.copy(buf, FRAME_HEADER);
  return buf;
}

/** SETTINGS with the given [id, value] pairs. */
export function settingsFrame(pairs: readonly (readonly [number, number])[]): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER + 6 * pairs.length);
  writeFrameHeader(buf, 0, 6 * pairs.length, FrameType.Settings, 0, 0);
  let at = FRAME_HEADER;
  for (const [id, value] of pairs) {
    buf.writeUInt16BE(id, at);
    buf.writeUInt32BE(value, at + 2);
    at += 6;
  }
  return buf;
}

export const SETTINGS_ACK = frame(FrameType.Settings, Flag.Ack, 0);

export function windowUpdateFrame(stream: number, increment: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER + 4);
  writeFrameHeader(buf, 0, 4, FrameType.WindowUpdate, 0, stream);
  buf.writeUInt32BE(increment, FRAME_HEADER);
  return buf;
}

export function rstStreamFrame(stream: number, code: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER + 4);
  writeFrameHeader(buf, 0, 4, FrameType.RstStream, 0, stream);
  buf.writeUInt32BE(code, FRAME_HEADER);
  return buf;
}

export function goawayFrame(lastStream: number, code: number, debug = ''): Buffer {
  const d = Buffer.from(debug, 'latin1');
  const buf = Buffer.allocUnsafe(FRAME_HEADER + 8 + d.length);
  writeFrameHeader(buf, 0, 8 + d.length, FrameType.Goaway, 0, 0);
  buf.writeUInt32BE(lastStream, FRAME_HEADER);
  buf.writeUInt32BE(code, FRAME_HEADER + 4);
  d.copy(buf, FRAME_HEADER + 8);
  return buf;
}

export function pingFrame(data: Buffer, ack: boolean): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER + 8);
  writeFrameHeader(buf, 0, 8, FrameType.Ping, ack ? Flag.Ack : 0, 0);
  data.copy(buf, FRAME_HEADER, 0, 8);
  return buf;
}

/**
 * A header block as HEADERS plus CONTINUATION frames, each at most `maxFrame` bytes, in one Buffer.
 * `endStream`: the block ends the stream (a response without body, or trailers).
 */
export function headersFrames(stream: number, block: Buffer, endStream: boolean, maxFrame: number): Buffer {
  const n = block.length;
  const frames = n === 0 ? 1 : Math.ceil(n / maxFrame);
  const buf = Buffer.allocUnsafe(frames * FRAME_HEADER + n);
  let at = 0;
  let from = 0;
  for (let i = 0; i < frames; i++) {
    const len = Math.min(maxFrame, n - from);
    const last = i === frames - 1;
    const type = i === 0 ? FrameType.Headers : FrameType.Continuation;
    const flags = (last ? Flag.EndHeaders : 0) | (i === 0 && endStream ? Flag.EndStream : 0);
    writeFrameHeader(buf, at, len, type, flags, stream);
    block.copy(buf, at + FRAME_HEADER, from, from + len);
    at += FRAME_HEADER + len;
    from += len;
  }
  return buf;
}
