/**
 * Strips chunked framing from a request body that llhttp has already checked (an HTTP/1.1 client's chunked request
 * going to an HTTP/2 endpoint, where DATA frames do the framing). The input is known to be well-formed, so this only
 * tracks where the data of each chunk lies; trailers are dropped.
 */
const enum St {
  Size,
  SizeLineEnd,
  Data,
  DataCr,
  DataLf,
  Trailer,
  Done,
}

export class ChunkedDecoder {
  private st = St.Size;
  private left = 0;
  /** In the trailer section: bytes of the current line (a 0-length line ends the body). */
  private lineLen = 0;

  /** The data ranges of `b` as subarrays (no copy). */
  public decode(b: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < b.length && this.st !== St.Done) {
      const c = b[i];
      switch (this.st) {
        case St.Size: {
          const v = hex(c);
          if (v >= 0) {
            this.left = this.left * 16 + v;
          } else {
            this.st = St.SizeLineEnd; // extensions or the CR
            continue;
          }
          i++;
          break;
        }
        case St.SizeLineEnd:
          i++;
          if (c === 0x0a) {
            if (this.left === 0) {
              this.st = St.Trailer;
              this.lineLen = 0;
            } else {
              this.st = St.Data;
            }
          }
          break;
        case St.Data: {
          const n = Math.min(this.left, b.length - i);
          out.push(b.subarray(i, i + n));
          i += n;
          this.left -= n;
          if (this.left === 0) this.st = St.DataCr;
          break;
        }
        case St.DataCr:
          i++;
          this.st = St.DataLf;
          break;
        case St.DataLf:
          i++;
          this.st = St.Size;
          break;
        case St.Trailer:
          i++;
          if (c === 0x0a) {
            if (this.lineLen === 0) this.st = St.Done;
            this.lineLen = 0;
          } else if (c !== 0x0d) {
            this.lineLen++;
          }
          break;
        default:
          i = b.length;
      }
    }
    return out;
  }
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Frames one piece of a body as a chunk (an HTTP/2 client's body of unknown length going to an HTTP/1.1 endpoint). */
export function chunkOf(data: Buffer): Buffer {
  const size = `${data.length.toString(16)}\r\n`;
  const out = Buffer.allocUnsafe(size.length + data.length + 2);
  out.write(size, 0, 'latin1');
  data.copy(out, size.length);
  out[out.length - 2] = 0x0d;
  out[out.length - 1] = 0x0a;
  return out;
}

export const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
