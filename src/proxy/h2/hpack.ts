/**
 * HPACK (RFC 7541), the header compression of HTTP/2, for our own codec: a strict decoder that is safe on hostile
 * input, and an encoder that reuses one scratch buffer. Both run for every request, so the hot paths avoid
 * allocation: names and values stay latin1 strings (one byte per char, both ways), the dynamic table is a ring of
 * strings with a byte count, and the static table is looked up through a Map built once.
 *
 * Safety, per RFC 7541 section 7: integers are capped near 2^28, a string may not reach past its block, the table
 * never holds more than the size we advertised, every byte of input costs bounded work, and past the caller's
 * header list limit nothing more is kept, though decoding goes on so the table stays in step with the peer's.
 */
import { HpackError, huffmanDecode, huffmanEncode, type Latin1Buffer } from './huffman';

export { HpackError } from './huffman';

/** RFC 7541 Appendix A: index i is at [2i - 2, 2i - 1]. */
// prettier-ignore
const STATIC_TABLE: readonly string[] = [
  ':authority', '', ':method', 'GET', ':method', 'POST', ':path', '/', ':path', '/index.html', ':scheme', 'http',
  ':scheme', 'https', ':status', '200', ':status', '204', ':status', '206', ':status', '304', ':status', '400',
  ':status', '404', ':status', '500', 'accept-charset', '', 'accept-encoding', 'gzip, deflate', 'accept-language', '',
  'accept-ranges', '', 'accept', '', 'access-control-allow-origin', '', 'age', '', 'allow', '', 'authorization', '',
  'cache-control', '', 'content-disposition', '', 'content-encoding', '', 'content-language', '', 'content-length', '',
  'content-location', '', 'content-range', '', 'content-type', '', 'cookie', '', 'date', '', 'etag', '', 'expect', '',
  'expires', '', 'from', '', 'host', '', 'if-match', '', 'if-modified-since', '', 'if-none-match', '', 'if-range', '',
  'if-unmodified-since', '', 'last-modified', '', 'link', '', 'location', '', 'max-forwards', '', 'proxy-authenticate', '',
  'proxy-authorization', '', 'range', '', 'referer', '', 'refresh', '', 'retry-after', '', 'server', '', 'set-cookie', '',
  'strict-transport-security', '', 'transfer-encoding', '', 'user-agent', '', 'vary', '', 'via', '', 'www-authenticate', '',
];
const STATIC_COUNT = 61;

/** Per name in the static table: its first index, and the index of each (name, value) entry. */
const STATIC_BY_NAME = new Map<string, { index: number; values: Map<string, number> }>();
for (let i = 1; i <= STATIC_COUNT; i++) {
  const name = STATIC_TABLE[2 * i - 2];
  let e = STATIC_BY_NAME.get(name);
  if (e === undefined) STATIC_BY_NAME.set(name, (e = { index: i, values: new Map() }));
  e.values.set(STATIC_TABLE[2 * i - 1], i);
}

/** The size RFC 7541 4.1 charges an entry: its octets plus 32 for overhead. Strings are latin1, one octet a char. */
const entrySize = (name: string, value: string): number => name.length + value.length + 32;

/** A dynamic table's size in bytes and entries and its current maximum, for tests and stats. */
export type TableStats = { readonly bytes: number; readonly entries: number; readonly max: number };

/**
 * The dynamic table (RFC 7541 2.3.2): a ring of names and values, newest at `head`, grown by doubling when full. A
 * table of S bytes holds at most S / 32 entries, so its memory is bounded by the size we allow.
 */
class DynamicTable {
  protected names: string[] = new Array<string>(16).fill('');
  protected values: string[] = new Array<string>(16).fill('');
  private head = -1;
  count = 0;
  size = 0;
  /** Entries ever added; entry k (0-based, in order of insertion) is at dynamic index `inserted - k`. */
  inserted = 0;

  constructor(public max: number) {}

  /** The slot of dynamic index i (1 = newest); the caller has checked 1 <= i <= count. */
  slot(i: number): number {
    return (this.head - i + 1) & (this.names.length - 1);
  }

  name(i: number): string {
    return this.names[this.slot(i)];
  }

  value(i: number): string {
    return this.values[this.slot(i)];
  }

  /** Adds an entry, evicting the oldest to make room; one larger than the table empties it (RFC 7541 4.4). */
  add(name: string, value: string): void {
    const es = entrySize(name, value);
    while (this.count > 0 && this.size + es > this.max) this.evictOldest();
    this.inserted++;
    if (es > this.max) return;
    if (this.count === this.names.length) this.grow();
    this.head = (this.head + 1) & (this.names.length - 1);
    this.names[this.head] = name;
    this.values[this.head] = value;
    this.count++;
    this.size += es;
  }

  resize(max: number): void {
    this.max = max;
    while (this.size > max) this.evictOldest();
  }

  protected evictOldest(): void {
    const s = this.slot(this.count);
    this.size -= entrySize(this.names[s], this.values[s]);
    this.names[s] = this.values[s] = ''; // let the strings go
    this.count--;
  }

  /** Called when full, so the oldest entry is right after the newest: unroll the ring, oldest first, into twice the room. */
  private grow(): void {
    const unroll = (a: string[]): string[] => [...a.slice(this.head + 1), ...a.slice(0, this.head + 1), ...new Array<string>(a.length).fill('')];
    this.names = unroll(this.names);
    this.values = unroll(this.values);
    this.head = this.count - 1;
  }
}

const NO_BLOCK = Buffer.alloc(0) as Latin1Buffer;

/** Decodes header blocks from one peer; one instance per connection and direction, as the table is shared state. */
export class HpackDecoder {
  private readonly table: DynamicTable;
  private buf = NO_BLOCK;
  private p = 0;
  private end = 0;

  /** @param maxTableSize the SETTINGS_HEADER_TABLE_SIZE we advertise; a table size update above it is an error. */
  constructor(readonly maxTableSize = 4096) {
    const ok = Number.isInteger(maxTableSize) && maxTableSize >= 0 && maxTableSize <= 2 ** 28;
    if (!ok) throw new RangeError(`maxTableSize must be an integer from 0 to 2^28, got ${maxTableSize}`);
    this.table = new DynamicTable(maxTableSize);
  }

  get tableStats(): TableStats {
    return { bytes: this.table.size, entries: this.table.count, max: this.table.max };
  }

  /**
   * Decodes the complete header block block[start, end), appending name, value, ... to `out` while the header list
   * size stays within maxListSize. Returns the whole list's size as RFC 9113 counts it (name + value + 32 a field),
   * even past the limit, so the caller can answer 431 or reset the stream. Throws HpackError on malformed input,
   * after which the table is out of step with the peer's: the connection must end (RFC 9113 4.3).
   */
  decode(block: Buffer, start: number, end: number, out: string[], maxListSize: number): number {
    if (!(start >= 0 && start <= end && end <= block.length)) throw new RangeError(`bad block range [${start}, ${end}) of ${block.length} octets`);
    this.buf = block as Latin1Buffer;
    this.p = start;
    this.end = end;
    let listSize = 0;
    let fields = 0;
    while (this.p < end) {
      const b = block[this.p];
      let name: string;
      let value: string;
      if (b & 0x80) {
        let i = b & 0x7f;
        if (i === 0x7f) i = this.int(0x7f);
        else this.p++; // most indexes fit the first octet
        if (i === 0) throw new HpackError('HPACK_INDEX', 'indexed header field with index 0 (RFC 7541 6.1)');
        name = this.nameAt(i);
        value = i <= STATIC_COUNT ? STATIC_TABLE[2 * i - 1] : this.table.value(i - STATIC_COUNT);
      } else if (b & 0x40) {
        name = this.literalName(0x3f);
        value = this.string();
        this.table.add(name, value);
      } else if (b & 0x20) {
        if (fields > 0) throw new HpackError('HPACK_TABLE_SIZE', 'dynamic table size update after a header field (RFC 7541 4.2)');
        const max = this.int(0x1f);
        if (max > this.maxTableSize) throw new HpackError('HPACK_TABLE_SIZE', `dynamic table size update to ${max}, above our ${this.maxTableSize}`);
        this.table.resize(max);
        continue;
      } else {
        name = this.literalName(0x0f); // without indexing (0000) or never indexed (0001): same decoding
        value = this.string();
      }
      fields++;
      listSize += entrySize(name, value);
      if (listSize <= maxListSize) out.push(name, value);
    }
    this.buf = NO_BLOCK; // do not keep the caller's block alive
    return listSize;
  }

  /** The name of entry i (>= 1) of the static and dynamic tables (RFC 7541 2.3.3). */
  private nameAt(i: number): string {
    if (i <= STATIC_COUNT) return STATIC_TABLE[2 * i - 2];
    if (i - STATIC_COUNT > this.table.count) throw new HpackError('HPACK_INDEX', `index ${i} is beyond the tables (61 + ${this.table.count} entries)`);
    return this.table.name(i - STATIC_COUNT);
  }

  /** The name of a literal field: an index under `mask`, or a literal string when that is 0. */
  private literalName(mask: number): string {
    const i = this.int(mask);
    return i === 0 ? this.string() : this.nameAt(i);
  }

  /** An integer with an N-bit prefix (RFC 7541 5.1), N given as its mask; at most 4 continuation octets (< 2^28 + 255). */
  private int(mask: number): number {
    const buf = this.buf;
    let p = this.p;
    let v = buf[p++] & mask;
    if (v === mask) {
      let shift = 0;
      let b: number;
      do {
        if (p >= this.end) throw new HpackError('HPACK_TRUNCATED', 'header block ends inside an integer (RFC 7541 5.1)');
        if (shift > 21) throw new HpackError('HPACK_INTEGER', 'integer longer than 2^28 in a header block (RFC 7541 5.1)');
        b = buf[p++];
        v += (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80);
    }
    this.p = p;
    return v;
  }

  /** A string literal (RFC 7541 5.2), as latin1. */
  private string(): string {
    if (this.p >= this.end) throw new HpackError('HPACK_TRUNCATED', 'header block ends before a string literal (RFC 7541 5.2)');
    const huffman = this.buf[this.p] & 0x80;
    const len = this.int(0x7f);
    const p = this.p;
    if (len > this.end - p) throw new HpackError('HPACK_TRUNCATED', `string of ${len} octets runs past the header block (${this.end - p} left)`);
    this.p = p + len;
    return huffman ? huffmanDecode(this.buf, p, p + len) : this.buf.latin1Slice(p, p + len);
  }
}

/** The encoder's table also finds entries by name and by (name, value); k is an entry's insertion number. */
class EncoderTable extends DynamicTable {
  /** Per name: its newest entry, and the newest entry of each value. */
  readonly byName = new Map<string, { latest: number; values: Map<string, number> }>();

  override add(name: string, value: string): void {
    const k = this.inserted;
    super.add(name, value);
    if (entrySize(name, value) > this.max) return; // it emptied the table instead
    let e = this.byName.get(name);
    if (e === undefined) this.byName.set(name, (e = { latest: k, values: new Map() }));
    e.latest = k;
    e.values.set(value, k);
  }

  protected override evictOldest(): void {
    const k = this.inserted - this.count;
    const name = this.name(this.count);
    const e = this.byName.get(name);
    if (e !== undefined) {
      // Older entries went first, so an entry that is the newest for its name was the last one with it.
      if (e.latest === k) this.byName.delete(name);
      else if (e.values.get(this.value(this.count)) === k) e.values.delete(this.value(this.count));
    }
    super.evictOldest();
  }
}

/** How a field may use the dynamic table. */
const INDEX = 0;
const NEVER = 1; // credentials: never indexed, here or by any intermediary after us (RFC 7541 7.1.3)
const COOKIE = 2; // never indexed when short enough to guess, else without indexing
const UNIQUE = 3; // without indexing: differs per request, would only churn the table

/**
 * Fields kept out of the dynamic table: the ones that rarely repeat on a connection (nghttp2 keeps the same kind
 * out of its table) and trace ids. Cookies too: our upstream connections carry many clients' requests, and a shared
 * table would let one client probe another's cookie through the size of its own requests (CRIME, RFC 7541 7.1).
 */
const DEFAULT_POLICY = new Map<string, number>([
  ...['authorization', 'proxy-authorization'].map((n) => [n, NEVER] as const),
  ...['cookie', 'set-cookie'].map((n) => [n, COOKIE] as const),
  ...[':path', 'age', 'content-length', 'etag', 'if-modified-since', 'if-none-match', 'location', 'x-request-id', 'traceparent',
    'tracestate', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-amzn-trace-id', 'x-cloud-trace-context'].map((n) => [n, UNIQUE] as const),
]);

/** Values longer than this are never indexed: they would crowd the table out for one hit. */
const MAX_INDEXED_VALUE = 128;
/** Cookies shorter than this are sent never-indexed: short enough to guess (as nghttp2 and Go's http2 do). */
const SHORT_COOKIE = 20;
/** Our table's ceiling, whatever the peer allows: the RFC default, plenty for a proxy's repeating fields. */
const ENCODER_MAX_TABLE = 4096;

export interface HpackEncoderProps {
  /**
   * More names whose values are unique per request (a request id under another name), kept out of the dynamic table.
   * @default - only the built-in list (:path, content-length, etag, x-request-id, traceparent, ...)
   */
  readonly uniqueNames?: readonly string[];
}

/** Encodes header blocks for one peer; one instance per connection and direction. */
export class HpackEncoder {
  private readonly table = new EncoderTable(ENCODER_MAX_TABLE);
  private readonly policy: Map<string, number>;
  private buf = Buffer.allocUnsafe(4096) as Latin1Buffer;
  private o = 0;
  /** The smallest size set since the last block, when a table size update is owed (RFC 7541 4.2), else -1. */
  private pendingMin = -1;

  constructor(props: HpackEncoderProps = {}) {
    this.policy = new Map(DEFAULT_POLICY);
    for (const n of props.uniqueNames ?? []) if (!this.policy.has(n)) this.policy.set(n, UNIQUE);
  }

  get tableStats(): TableStats {
    return { bytes: this.table.size, entries: this.table.count, max: this.table.max };
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE arrived: the next block starts by telling it our table's new size. */
  setPeerMaxTableSize(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`SETTINGS_HEADER_TABLE_SIZE must be a 32-bit unsigned integer, got ${n}`);
    const size = Math.min(n, ENCODER_MAX_TABLE);
    this.pendingMin = this.pendingMin < 0 ? size : Math.min(this.pendingMin, size);
    this.table.resize(size);
  }

  /** Encodes a header list (name, value, ...; names lower-case, pseudo-headers first) into a new Buffer. */
  encode(fields: readonly string[]): Buffer {
    this.o = 0;
    this.reserve(12);
    if (this.pendingMin >= 0) {
      // A shrink then a growth since the last block needs both (RFC 7541 4.2): the peer must evict down to the minimum.
      if (this.pendingMin < this.table.max) this.int(this.pendingMin, 0x1f, 0x20);
      this.int(this.table.max, 0x1f, 0x20);
      this.pendingMin = -1;
    }
    for (let i = 0; i + 1 < fields.length; i += 2) this.field(fields[i], fields[i + 1]);
    const out = Buffer.allocUnsafe(this.o);
    if (this.o > 128) this.buf.copy(out, 0, 0, this.o);
    else for (let i = 0; i < this.o; i++) out[i] = this.buf[i]; // cheaper than copy()'s argument checks for a small block
    if (this.buf.length > 65536) this.buf = Buffer.allocUnsafe(4096) as Latin1Buffer; // a rare huge list: do not keep its room
    return out;
  }

  /** An index when a table has the field; else a literal, entering our table only when it is likely to repeat. */
  private field(name: string, value: string): void {
    this.reserve(name.length + value.length + 16);
    const st = STATIC_BY_NAME.get(name);
    if (st !== undefined) {
      const i = st.values.get(value);
      if (i !== undefined) return this.int(i, 0x7f, 0x80);
    }
    const t = this.table;
    const dyn = t.byName.get(name);
    if (dyn !== undefined) {
      const k = dyn.values.get(value);
      if (k !== undefined) return this.int(STATIC_COUNT + t.inserted - k, 0x7f, 0x80);
    }
    const nameIndex = st !== undefined ? st.index : dyn !== undefined ? STATIC_COUNT + t.inserted - dyn.latest : 0;
    const policy = this.policy.get(name) ?? INDEX;
    if (policy === NEVER || (policy === COOKIE && value.length < SHORT_COOKIE)) this.literal(0x10, 0x0f, nameIndex, name, value);
    else if (policy !== INDEX || value.length > MAX_INDEXED_VALUE || entrySize(name, value) > (t.max * 3) / 4 /* would evict all */) {
      this.literal(0x00, 0x0f, nameIndex, name, value);
    } else {
      this.literal(0x40, 0x3f, nameIndex, name, value);
      t.add(name, value);
    }
  }

  private literal(first: number, mask: number, nameIndex: number, name: string, value: string): void {
    if (nameIndex > 0) this.int(nameIndex, mask, first);
    else {
      this.buf[this.o++] = first;
      this.string(name);
    }
    this.string(value);
  }

  /** An integer with an N-bit prefix (RFC 7541 5.1) under `mask`; `first` holds the first octet's other bits. */
  private int(v: number, mask: number, first: number): void {
    const buf = this.buf;
    let o = this.o;
    if (v < mask) buf[o++] = first | v;
    else {
      buf[o++] = first | mask;
      for (v -= mask; v >= 0x80; v >>>= 7) buf[o++] = (v & 0x7f) | 0x80;
      buf[o++] = v;
    }
    this.o = o;
  }

  /** A string literal, Huffman-coded only when that is shorter (RFC 7541 5.2). */
  private string(s: string): void {
    const n = s.length;
    this.reserve(4 * n + 6); // Huffman codes are up to 30 bits an octet
    // One pass: Huffman-code it after room for its length, keep that if it came out shorter, and close the gap, if any.
    const at = this.o + (n < 0x7f ? 1 : 5);
    const end = huffmanEncode(s, this.buf, at);
    if (end - at < n) {
      this.int(end - at, 0x7f, 0x80);
      if (this.o !== at) this.buf.copyWithin(this.o, at, end);
      this.o += end - at;
      return;
    }
    this.int(n, 0x7f, 0);
    const buf = this.buf;
    if (n > 16) this.o += buf.latin1Write(s, this.o, n);
    else for (let i = 0; i < n; i++) buf[this.o++] = s.charCodeAt(i);
  }

  /** Room for `n` more octets, doubling the scratch buffer. */
  private reserve(n: number): void {
    if (this.o + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.o + n)) as Latin1Buffer;
    this.buf.copy(next, 0, 0, this.o);
    this.buf = next;
  }
}
