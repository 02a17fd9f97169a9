/**
 * A header block as it arrives: one HEADERS frame, maybe followed by CONTINUATION frames on the same stream, with
 * padding and the priority fields stripped (RFC 9113 6.2 and 6.10). The CONTINUATION flood (2024) is bounded here:
 * a block larger than MAX_HEADER_BLOCK compressed bytes, or in more than MAX_CONTINUATIONS frames, is refused before
 * it is decoded.
 */
import { Flag, unpaddedEnd } from './frames';

const MAX_HEADER_BLOCK = 256 * 1024;
const MAX_CONTINUATIONS = 64;

/** A complete block: `b[start, end)` for `stream`, and whether it ends the stream. */
export interface HeaderBlock {
  stream: number;
  b: Buffer;
  start: number;
  end: number;
  endStream: boolean;
}

export class HeaderBlockReader {
  private parts: Buffer[] | undefined;
  private bytes = 0;
  private frames = 0;
  private readonly done: HeaderBlock = { stream: 0, b: Buffer.alloc(0), start: 0, end: 0, endStream: false };

  /** A block is open: only CONTINUATION frames of `stream` may come next. */
  public get open(): boolean {
    return this.parts !== undefined;
  }

  public get stream(): number {
    return this.done.stream;
  }

  /**
   * A HEADERS frame. Returns the complete block (END_HEADERS set), undefined when CONTINUATION must follow, or a
   * string naming what is wrong: a connection error, except `self-dependency` (a stream error).
   */
  public headers(flags: number, id: number, b: Buffer, p: number, end: number): HeaderBlock | undefined | string {
    const stop = unpaddedEnd(flags, b, p, end);
    if (stop < 0) return 'HEADERS padding longer than the frame';
    let start = flags & Flag.Padded ? p + 1 : p;
    if (flags & Flag.Priority) {
      if (stop - start < 5) return 'HEADERS too short for its priority fields';
      if ((b.readUInt32BE(start) & 0x7fffffff) === id) return 'self-dependency';
      start += 5;
    }
    const d = this.done;
    d.stream = id;
    d.endStream = (flags & Flag.EndStream) !== 0;
    if (flags & Flag.EndHeaders) {
      d.b = b;
      d.start = start;
      d.end = stop;
      return d;
    }
    this.parts = [Buffer.from(b.subarray(start, stop))];
    this.bytes = stop - start;
    this.frames = 1;
    return undefined;
  }

  /** A CONTINUATION frame of the open block: the complete block, undefined for more, or what is wrong. */
  public continuation(flags: number, b: Buffer, p: number, end: number): HeaderBlock | undefined | string {
    const parts = this.parts;
    if (parts === undefined) return 'CONTINUATION without HEADERS';
    this.bytes += end - p;
    if (this.bytes > MAX_HEADER_BLOCK || ++this.frames > MAX_CONTINUATIONS) {
      this.parts = undefined;
      return 'a header block too large or in too many CONTINUATION frames';
    }
    parts.push(Buffer.from(b.subarray(p, end)));
    if ((flags & Flag.EndHeaders) === 0) return undefined;
    this.parts = undefined;
    const d = this.done;
    d.b = Buffer.concat(parts, this.bytes);
    d.start = 0;
    d.end = d.b.length;
    return d;
  }
}
