/**
 * The HPACK Huffman code (RFC 7541 5.2 and Appendix B): a static canonical code over the 256 byte values plus EOS,
 * tuned on real header traffic, so typical header text shrinks by a fifth or more.
 *
 * Decoding is table-driven, a byte at a time (the idea of nghttp2's and HAProxy's decoders, written afresh here):
 * the 256 internal nodes of the code tree are the states, and one lookup per input byte gives the next state and
 * the zero, one or two symbols that byte completes (codes are at least 5 bits long, so never more than two). A
 * bit-by-bit tree walk costs eight dependent branches per byte; this costs one load. The table (257 x 256 words,
 * 257 KiB) is built once at module load from the code list below, and an extra dead state absorbs EOS, so the hot
 * loop has no error branch at all: validity is checked once, at the end of the string.
 */

/**
 * A malformed header block: a connection error of type COMPRESSION_ERROR (RFC 9113 4.3). It lives in this leaf
 * module so that hpack.ts can use it without an import cycle; hpack.ts re-exports it.
 */
export class HpackError extends Error {
  /** A stable reason, for metrics and tests: HPACK_INDEX, HPACK_INTEGER, HPACK_TRUNCATED, HPACK_TABLE_SIZE, HPACK_HUFFMAN. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'HpackError';
    this.code = code;
  }
}

/**
 * Node's Buffer has latin1Slice and latin1Write (what toString('latin1') and write(..., 'latin1') call once they
 * have checked their arguments; about a third faster on short header strings), but @types/node does not declare them.
 */
export interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(str: string, offset: number, length?: number): number;
}

/** The EOS symbol: it never appears in a valid string; its leading bits are the padding. */
export const EOS = 256;

/**
 * RFC 7541 Appendix B, as (code aligned to the least significant bit, length in bits) for symbols 0..256; the
 * comment names the first symbol of each row. Tests check that the code is canonical, complete (the Kraft sum is
 * exactly 1) and decodes the Appendix C examples.
 */
// prettier-ignore
const TABLE: readonly number[] = [
  0x1ff8, 13, 0x7fffd8, 23, 0xfffffe2, 28, 0xfffffe3, 28, 0xfffffe4, 28, 0xfffffe5, 28, 0xfffffe6, 28, 0xfffffe7, 28, // 0
  0xfffffe8, 28, 0xffffea, 24, 0x3ffffffc, 30, 0xfffffe9, 28, 0xfffffea, 28, 0x3ffffffd, 30, 0xfffffeb, 28, 0xfffffec, 28, // 8
  0xfffffed, 28, 0xfffffee, 28, 0xfffffef, 28, 0xffffff0, 28, 0xffffff1, 28, 0xffffff2, 28, 0x3ffffffe, 30, 0xffffff3, 28, // 16
  0xffffff4, 28, 0xffffff5, 28, 0xffffff6, 28, 0xffffff7, 28, 0xffffff8, 28, 0xffffff9, 28, 0xffffffa, 28, 0xffffffb, 28, // 24
  0x14, 6, 0x3f8, 10, 0x3f9, 10, 0xffa, 12, 0x1ff9, 13, 0x15, 6, 0xf8, 8, 0x7fa, 11, // 32
  0x3fa, 10, 0x3fb, 10, 0xf9, 8, 0x7fb, 11, 0xfa, 8, 0x16, 6, 0x17, 6, 0x18, 6, // 40
  0x0, 5, 0x1, 5, 0x2, 5, 0x19, 6, 0x1a, 6, 0x1b, 6, 0x1c, 6, 0x1d, 6, // 48
  0x1e, 6, 0x1f, 6, 0x5c, 7, 0xfb, 8, 0x7ffc, 15, 0x20, 6, 0xffb, 12, 0x3fc, 10, // 56
  0x1ffa, 13, 0x21, 6, 0x5d, 7, 0x5e, 7, 0x5f, 7, 0x60, 7, 0x61, 7, 0x62, 7, // 64
  0x63, 7, 0x64, 7, 0x65, 7, 0x66, 7, 0x67, 7, 0x68, 7, 0x69, 7, 0x6a, 7, // 72
  0x6b, 7, 0x6c, 7, 0x6d, 7, 0x6e, 7, 0x6f, 7, 0x70, 7, 0x71, 7, 0x72, 7, // 80
  0xfc, 8, 0x73, 7, 0xfd, 8, 0x1ffb, 13, 0x7fff0, 19, 0x1ffc, 13, 0x3ffc, 14, 0x22, 6, // 88
  0x7ffd, 15, 0x3, 5, 0x23, 6, 0x4, 5, 0x24, 6, 0x5, 5, 0x25, 6, 0x26, 6, // 96
  0x27, 6, 0x6, 5, 0x74, 7, 0x75, 7, 0x28, 6, 0x29, 6, 0x2a, 6, 0x7, 5, // 104
  0x2b, 6, 0x76, 7, 0x2c, 6, 0x8, 5, 0x9, 5, 0x2d, 6, 0x77, 7, 0x78, 7, // 112
  0x79, 7, 0x7a, 7, 0x7b, 7, 0x7ffe, 15, 0x7fc, 11, 0x3ffd, 14, 0x1ffd, 13, 0xffffffc, 28, // 120
  0xfffe6, 20, 0x3fffd2, 22, 0xfffe7, 20, 0xfffe8, 20, 0x3fffd3, 22, 0x3fffd4, 22, 0x3fffd5, 22, 0x7fffd9, 23, // 128
  0x3fffd6, 22, 0x7fffda, 23, 0x7fffdb, 23, 0x7fffdc, 23, 0x7fffdd, 23, 0x7fffde, 23, 0xffffeb, 24, 0x7fffdf, 23, // 136
  0xffffec, 24, 0xffffed, 24, 0x3fffd7, 22, 0x7fffe0, 23, 0xffffee, 24, 0x7fffe1, 23, 0x7fffe2, 23, 0x7fffe3, 23, // 144
  0x7fffe4, 23, 0x1fffdc, 21, 0x3fffd8, 22, 0x7fffe5, 23, 0x3fffd9, 22, 0x7fffe6, 23, 0x7fffe7, 23, 0xffffef, 24, // 152
  0x3fffda, 22, 0x1fffdd, 21, 0xfffe9, 20, 0x3fffdb, 22, 0x3fffdc, 22, 0x7fffe8, 23, 0x7fffe9, 23, 0x1fffde, 21, // 160
  0x7fffea, 23, 0x3fffdd, 22, 0x3fffde, 22, 0xfffff0, 24, 0x1fffdf, 21, 0x3fffdf, 22, 0x7fffeb, 23, 0x7fffec, 23, // 168
  0x1fffe0, 21, 0x1fffe1, 21, 0x3fffe0, 22, 0x1fffe2, 21, 0x7fffed, 23, 0x3fffe1, 22, 0x7fffee, 23, 0x7fffef, 23, // 176
  0xfffea, 20, 0x3fffe2, 22, 0x3fffe3, 22, 0x3fffe4, 22, 0x7ffff0, 23, 0x3fffe5, 22, 0x3fffe6, 22, 0x7ffff1, 23, // 184
  0x3ffffe0, 26, 0x3ffffe1, 26, 0xfffeb, 20, 0x7fff1, 19, 0x3fffe7, 22, 0x7ffff2, 23, 0x3fffe8, 22, 0x1ffffec, 25, // 192
  0x3ffffe2, 26, 0x3ffffe3, 26, 0x3ffffe4, 26, 0x7ffffde, 27, 0x7ffffdf, 27, 0x3ffffe5, 26, 0xfffff1, 24, 0x1ffffed, 25, // 200
  0x7fff2, 19, 0x1fffe3, 21, 0x3ffffe6, 26, 0x7ffffe0, 27, 0x7ffffe1, 27, 0x3ffffe7, 26, 0x7ffffe2, 27, 0xfffff2, 24, // 208
  0x1fffe4, 21, 0x1fffe5, 21, 0x3ffffe8, 26, 0x3ffffe9, 26, 0xffffffd, 28, 0x7ffffe3, 27, 0x7ffffe4, 27, 0x7ffffe5, 27, // 216
  0xfffec, 20, 0xfffff3, 24, 0xfffed, 20, 0x1fffe6, 21, 0x3fffe9, 22, 0x1fffe7, 21, 0x1fffe8, 21, 0x7ffff3, 23, // 224
  0x3fffea, 22, 0x3fffeb, 22, 0x1ffffee, 25, 0x1ffffef, 25, 0xfffff4, 24, 0xfffff5, 24, 0x3ffffea, 26, 0x7ffff4, 23, // 232
  0x3ffffeb, 26, 0x7ffffe6, 27, 0x3ffffec, 26, 0x3ffffed, 26, 0x7ffffe7, 27, 0x7ffffe8, 27, 0x7ffffe9, 27, 0x7ffffea, 27, // 240
  0x7ffffeb, 27, 0xffffffe, 28, 0x7ffffec, 27, 0x7ffffed, 27, 0x7ffffee, 27, 0x7ffffef, 27, 0x7fffff0, 27, 0x3ffffee, 26, // 248
  0x3fffffff, 30, // 256
];

/** The Huffman code of each symbol, aligned to the least significant bit. */
export const HUFFMAN_CODES = new Uint32Array(257);
/** The length in bits of each symbol's code (5..30). */
export const HUFFMAN_LENGTHS = new Uint8Array(257);
for (let s = 0; s <= EOS; s++) {
  HUFFMAN_CODES[s] = TABLE[2 * s];
  HUFFMAN_LENGTHS[s] = TABLE[2 * s + 1];
}

/** The state a string enters once it has contained EOS; it never leaves it. */
const DEAD = 256;

/**
 * The code tree's internal nodes: KIDS[2n + bit] is the child, an internal node (>= 0) or a leaf (~symbol). A
 * complete code over 257 symbols has exactly 256 internal nodes, so a state fits in a byte (plus DEAD).
 */
function buildTree(): Int16Array {
  const kids = new Int16Array(512).fill(-32768);
  let nodes = 1;
  for (let s = 0; s <= EOS; s++) {
    let node = 0;
    for (let bit = HUFFMAN_LENGTHS[s] - 1; bit >= 0; bit--) {
      const slot = 2 * node + ((HUFFMAN_CODES[s] >>> bit) & 1);
      if (bit === 0) kids[slot] = ~s;
      else {
        if (kids[slot] === -32768) kids[slot] = nodes++;
        node = kids[slot];
      }
    }
  }
  if (nodes !== 256 || kids.includes(-32768)) throw new Error(`the Huffman table is not a complete code (${nodes} internal nodes)`);
  return kids;
}

/**
 * DECODE[(state << 8) | byte] = next state (bits 0..8) | symbols completed (bits 9..10) | first symbol (bits
 * 11..18) | second symbol (bits 19..26). 27 bits keep every entry a small integer for V8.
 */
const DECODE = new Int32Array((DEAD + 1) * 256);
/** ACCEPT[state] = 1 when a string may end in that state: the bits since the last symbol are at most 7 ones (5.2). */
const ACCEPT = new Uint8Array(DEAD + 1);

(function buildDecoder(): void {
  const kids = buildTree();
  for (let node = 0, depth = 0; depth < 8; depth++, node = kids[2 * node + 1]) ACCEPT[node] = 1;
  // Half a byte first (at most one symbol, as codes are 5 bits or more), then each byte as two halves: 16 times
  // less tree walking than 8 steps per (state, byte), which matters at start-up.
  const nib = new Int32Array((DEAD + 1) * 16); // next state | 1 << 9 when a symbol ends | symbol << 11
  for (let state = 0; state < DEAD; state++) {
    for (let half = 0; half < 16; half++) {
      let node = state;
      let e = 0;
      for (let bit = 3; bit >= 0 && node !== DEAD; bit--) {
        const next = kids[2 * node + ((half >>> bit) & 1)];
        if (next >= 0) node = next;
        else if (~next === EOS) node = DEAD;
        else {
          e = (1 << 9) | (~next << 11);
          node = 0;
        }
      }
      nib[(state << 4) | half] = node | e;
    }
  }
  for (let half = 0; half < 16; half++) nib[(DEAD << 4) | half] = DEAD;
  for (let state = 0; state <= DEAD; state++) {
    for (let byte = 0; byte < 256; byte++) {
      const hi = nib[(state << 4) | (byte >>> 4)];
      const lo = nib[((hi & 0x1ff) << 4) | (byte & 15)];
      const loSym = lo & (1 << 9) ? (lo >>> 11) << (hi & (1 << 9) ? 19 : 11) : 0;
      DECODE[(state << 8) | byte] = (lo & 0x1ff) | ((((hi >>> 9) & 1) + ((lo >>> 9) & 1)) << 9) | (hi & 0x7f800) | loSym;
    }
  }
})();

/** Decoded bytes land here before becoming a string; a decoded string is at most 8/5 of its encoded length. */
let scratch = Buffer.allocUnsafe(1024) as Latin1Buffer;

/**
 * Decodes the Huffman-coded string src[start, end) as latin1. Throws HpackError when the string contains EOS, or
 * when its padding is longer than 7 bits or not all ones (RFC 7541 5.2).
 */
export function huffmanDecode(src: Uint8Array, start: number, end: number): string {
  const need = (((end - start) * 8) / 5 + 2) | 0;
  if (scratch.length < need) scratch = Buffer.allocUnsafe(Math.max(need, scratch.length * 2)) as Latin1Buffer;
  const out = scratch;
  let state = 0;
  let o = 0;
  for (let i = start; i < end; i++) {
    const e = DECODE[(state << 8) | src[i]];
    // Both symbol slots are written every time and o advances by the count, so there is no branch per symbol.
    out[o] = e >>> 11;
    out[o + 1] = e >>> 19;
    o += (e >>> 9) & 3;
    state = e & 0x1ff;
  }
  if (ACCEPT[state] === 0) {
    throw new HpackError(
      'HPACK_HUFFMAN',
      state === DEAD
        ? 'Huffman string contains the EOS symbol (RFC 7541 5.2)'
        : 'Huffman string ends in padding that is longer than 7 bits or not all ones (RFC 7541 5.2)',
    );
  }
  return out.latin1Slice(0, o);
}

/** The length in bytes of str (latin1) once Huffman-coded, padding included. */
export function huffmanEncodedLength(str: string): number {
  let bits = 0;
  for (let i = 0; i < str.length; i++) bits += HUFFMAN_LENGTHS[str.charCodeAt(i) & 0xff];
  return (bits + 7) >>> 3;
}

/**
 * Writes str (latin1) Huffman-coded into dst at `at`, padded with ones to a byte, and returns the offset after it.
 * dst must have room for huffmanEncodedLength(str) bytes.
 */
export function huffmanEncode(str: string, dst: Uint8Array, at: number): number {
  let acc = 0; // pending bits, right-aligned; fewer than 8 of them between characters
  let bits = 0;
  let o = at;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i) & 0xff;
    let len = HUFFMAN_LENGTHS[c];
    let code = HUFFMAN_CODES[c];
    if (len > 24) {
      // 7 pending bits plus a code of 25 bits or more would reach the sign bit: send the code's top bits first.
      acc = (acc << (len - 16)) | (code >>> 16);
      bits += len - 16;
      while (bits >= 8) dst[o++] = acc >>> (bits -= 8);
      code &= 0xffff;
      len = 16;
    }
    acc = (acc << len) | code;
    bits += len;
    while (bits >= 8) dst[o++] = acc >>> (bits -= 8);
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) dst[o++] = (acc << (8 - bits)) | (0xff >>> bits);
  return o;
}
