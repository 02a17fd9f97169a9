/**
 * A raw HTTP/2 client for hostile-input tests: it writes exactly the frames it is given (RFC 9113 section 6) with
 * header blocks built by hand (RFC 7541: literal fields without Huffman, with or without indexing, and dynamic table
 * size updates), and reads back what the server sends: SETTINGS, HEADERS, DATA, RST_STREAM, GOAWAY and the close.
 *
 * node:http2's own client cannot be used for this: it refuses to send malformed header lists, and it answers resets
 * and floods by the book, which is exactly what an attacker does not do.
 */
import * as net from 'node:net';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;

/** Error codes (RFC 9113 section 7), by name and back. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

export function errorName(code: number): string {
  const hit = Object.entries(ErrorCode).find(([, c]) => c === code);
  return hit !== undefined ? hit[0] : `0x${code.toString(16)}`;
}

export const Setting = { HEADER_TABLE_SIZE: 0x1, ENABLE_PUSH: 0x2, MAX_CONCURRENT_STREAMS: 0x3, INITIAL_WINDOW_SIZE: 0x4 } as const;

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

export function settings(entries: ReadonlyArray<readonly [number, number]> = []): Buffer {
  const p = Buffer.alloc(entries.length * 6);
  entries.forEach(([id, value], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, p);
}

export const settingsAck = (): Buffer => frame(FrameType.SETTINGS, Flag.ACK, 0);

export function headers(streamId: number, block: Buffer, o: { endStream?: boolean; endHeaders?: boolean } = {}): Buffer {
  const flags = (o.endStream ?? true ? Flag.END_STREAM : 0) | (o.endHeaders ?? true ? Flag.END_HEADERS : 0);
  return frame(FrameType.HEADERS, flags, streamId, block);
}

export const continuation = (streamId: number, block: Buffer, endHeaders = false): Buffer =>
  frame(FrameType.CONTINUATION, endHeaders ? Flag.END_HEADERS : 0, streamId, block);

export function rstStream(streamId: number, code: number = ErrorCode.CANCEL): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code);
  return frame(FrameType.RST_STREAM, 0, streamId, p);
}

export const data = (streamId: number, payload: Buffer, endStream = true): Buffer =>
  frame(FrameType.DATA, endStream ? Flag.END_STREAM : 0, streamId, payload);

export function windowUpdate(streamId: number, increment: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(increment);
  return frame(FrameType.WINDOW_UPDATE, 0, streamId, p);
}

export const ping = (payload: Buffer = Buffer.alloc(8), ack = false): Buffer => frame(FrameType.PING, ack ? Flag.ACK : 0, 0, payload);

// ---- HPACK, by hand (RFC 7541) ----

/** An HPACK integer with an N-bit prefix, the prefix's other bits set to `mask` (section 5.1). */
export function hpackInt(value: number, prefixBits: number, mask: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([mask | value]);
  const out = [mask | max];
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A string literal, raw octets (no Huffman). */
const hpackString = (s: string): Buffer => {
  const b = Buffer.from(s, 'latin1');
  return Buffer.concat([hpackInt(b.length, 7, 0x00), b]);
};

/** Literal header field without indexing, new name (section 6.2.2). Names are sent as given: no lower-casing. */
export const literal = (name: string, value: string): Buffer => Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)]);

/** Literal header field with incremental indexing, new name (section 6.2.1): the decoder adds it to its table. */
export const literalIndexed = (name: string, value: string): Buffer =>
  Buffer.concat([Buffer.from([0x40]), hpackString(name), hpackString(value)]);

/** Dynamic table size update (section 6.3). */
export const tableSizeUpdate = (size: number): Buffer => hpackInt(size, 5, 0x20);

/** A header block from [name, value] pairs, each a literal without indexing, in the order given. */
export function block(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  return Buffer.concat(fields.map(([n, v]) => literal(n, v)));
}

/** The header list of a plain GET, with `extra` after the pseudo-headers. */
export function getFields(path: string, extra: ReadonlyArray<readonly [string, string]> = []): Array<[string, string]> {
  const pseudo: Array<[string, string]> = [[':method', 'GET'], [':scheme', 'http'], [':authority', 'h2.test'], [':path', path]];
  return [...pseudo, ...extra.map(([n, v]): [string, string] => [n, v])];
}

/** The :status of a response header block, if its first field carries it in a form we can read without a table. */
export function statusOf(blockBytes: Buffer): number | undefined {
  const STATIC: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };
  let b = blockBytes;
  while (b.length > 0 && (b[0] & 0xe0) === 0x20) b = b.subarray(1); // table size updates (small ones)
  if (b.length === 0) return undefined;
  if ((b[0] & 0x80) !== 0) return STATIC[b[0] & 0x7f];
  // A literal whose name is static entry 8..14 (:status), with or without indexing.
  const nameIndex = (b[0] & 0x40) !== 0 ? b[0] & 0x3f : b[0] & 0x0f;
  if (nameIndex < 8 || nameIndex > 14 || b.length < 2) return undefined;
  const huffman = (b[1] & 0x80) !== 0;
  const len = b[1] & 0x7f;
  const raw = b.subarray(2, 2 + len);
  const text = huffman ? huffmanDigits(raw) : raw.toString('latin1');
  return text !== undefined && /^\d{3}$/.test(text) ? Number(text) : undefined;
}

/** Decodes a Huffman string made of digits only (RFC 7541 appendix B), enough for a :status. */
function huffmanDigits(b: Buffer): string | undefined {
  const codes: Record<string, string> = { '00000': '0', '00001': '1', '00010': '2', '011001': '3', '011010': '4' };
  Object.assign(codes, { '011011': '5', '011100': '6', '011101': '7', '011110': '8', '011111': '9' });
  const bits = [...b].map((x) => x.toString(2).padStart(8, '0')).join('');
  let out = '';
  let cur = '';
  for (const bit of bits) {
    cur += bit;
    if (codes[cur] !== undefined) {
      out += codes[cur];
      cur = '';
    } else if (cur.length > 6) {
      return undefined;
    }
  }
  return /^1*$/.test(cur) && cur.length < 8 ? out : undefined; // EOS padding
}

// ---- the connection ----

/** One stream's answer as the raw client saw it. */
export interface StreamSeen {
  status?: number;
  /** A response HEADERS frame arrived (even one whose :status we could not read). */
  headers: boolean;
  dataBytes: number;
  /** END_STREAM arrived from the server. */
  ended: boolean;
  /** RST_STREAM from the server, with its error code. */
  reset?: number;
}

export interface GoawaySeen {
  readonly lastStreamId: number;
  readonly code: number;
  readonly debug: string;
  /** Milliseconds after the connection opened. */
  readonly atMs: number;
}

/**
 * A client socket that sends the preface and SETTINGS, ACKs the server's SETTINGS, and records every frame it reads
 * until the server closes the connection. It never answers anything else: it is the attacker.
 */
export class RawH2 {
  readonly streams = new Map<number, StreamSeen>();
  goaway: GoawaySeen | undefined;
  /** Milliseconds from connect to the server's close (or reset), once closed; undefined when we closed first. */
  closedAfterMs: number | undefined;
  serverSettings = 0;
  private buf: Buffer = Buffer.alloc(0);
  private ownClose = false;
  private readonly t0 = Date.now();
  private readonly closedP: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => undefined);
    this.closedP = new Promise((resolve) =>
      socket.once('close', () => {
        if (!this.ownClose) this.closedAfterMs = Date.now() - this.t0;
        resolve();
      }),
    );
  }

  /** Connects and sends the preface with `initial` SETTINGS (empty by default). */
  static async open(host: string, port: number, initial: ReadonlyArray<readonly [number, number]> = []): Promise<RawH2> {
    const socket = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RawH2(socket);
    c.socket.write(Buffer.concat([PREFACE, settings(initial)]));
    return c;
  }

  /** The server closed (or reset) the connection. */
  get closed(): boolean {
    return this.closedAfterMs !== undefined;
  }

  stream(id: number): StreamSeen {
    let s = this.streams.get(id);
    if (s === undefined) this.streams.set(id, (s = { headers: false, dataBytes: 0, ended: false }));
    return s;
  }

  /** Writes and waits until the bytes are handed to the kernel; false when the socket is gone. */
  send(bytes: Buffer): Promise<boolean> {
    if (this.socket.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => this.socket.write(bytes, (err) => resolve(err === undefined || err === null)));
  }

  /** Sends `count` pieces made by `piece(i)`, `batch` at a time; stops early once the server closes. Returns the number sent. */
  async flood(count: number, piece: (i: number) => Buffer, batch = 500): Promise<number> {
    let i = 0;
    while (i < count && !this.socket.destroyed) {
      const parts: Buffer[] = [];
      for (const end = Math.min(count, i + batch); i < end; i++) parts.push(piece(i));
      if (!(await this.send(Buffer.concat(parts)))) break;
    }
    return i;
  }

  /** Waits until `cond` holds or the server closes, at most `ms`; returns whether `cond` held. */
  async until(cond: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!cond() && !this.socket.destroyed && Date.now() < end) await Promise.race([new Promise((r) => setTimeout(r, 10)), this.closedP]);
    return cond();
  }

  /** Waits for the server to close the connection, at most `ms`; true when it did. */
  async waitClosed(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closedP, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    return this.closed;
  }

  destroy(): void {
    this.ownClose = !this.socket.destroyed;
    this.socket.destroy();
  }

  /** What the server did, for failure messages. */
  describe(): string {
    const g = this.goaway;
    const resets = [...this.streams.values()].filter((s) => s.reset !== undefined).length;
    return [
      g ? `GOAWAY ${errorName(g.code)} (last stream ${g.lastStreamId}${g.debug ? `, "${g.debug}"` : ''}) after ${g.atMs} ms` : 'no GOAWAY',
      this.closed ? `closed after ${this.closedAfterMs} ms` : 'not closed by the server',
      `${resets} stream(s) reset by the server`,
    ].join(', ');
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) return;
      const type = this.buf[3];
      const flags = this.buf[4];
      const id = this.buf.readUInt32BE(5) & 0x7fffffff;
      const payload = this.buf.subarray(9, 9 + len);
      this.buf = this.buf.subarray(9 + len);
      this.onFrame(type, flags, id, payload);
    }
  }

  private onFrame(type: number, flags: number, id: number, p: Buffer): void {
    switch (type) {
      case FrameType.SETTINGS:
        if ((flags & Flag.ACK) === 0) {
          this.serverSettings++;
          this.socket.write(settingsAck());
        }
        break;
      case FrameType.HEADERS: {
        const s = this.stream(id);
        s.headers = true;
        s.status ??= statusOf(p);
        if ((flags & Flag.END_STREAM) !== 0) s.ended = true;
        break;
      }
      case FrameType.DATA: {
        const s = this.stream(id);
        s.dataBytes += p.length;
        if ((flags & Flag.END_STREAM) !== 0) s.ended = true;
        // Give the window back, so a long answer is never stalled by this client's flow control.
        if (p.length > 0 && !this.socket.destroyed) {
          this.socket.write(Buffer.concat([windowUpdate(0, p.length), windowUpdate(id, p.length)]));
        }
        break;
      }
      case FrameType.RST_STREAM:
        this.stream(id).reset = p.readUInt32BE(0);
        break;
      case FrameType.GOAWAY:
        this.goaway ??= {
          lastStreamId: p.readUInt32BE(0) & 0x7fffffff,
          code: p.readUInt32BE(4),
          debug: p.subarray(8).toString('latin1'),
          atMs: Date.now() - this.t0,
        };
        break;
      default:
        break; // PING, WINDOW_UPDATE, PRIORITY: nothing the tests look at
    }
  }
}
