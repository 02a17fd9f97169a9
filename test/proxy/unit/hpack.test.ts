/**
 * HPACK (RFC 7541): the Huffman code against Appendix B and a bit-by-bit reference, every Appendix C example, the
 * decoder's refusals, the encoder's choices, a seeded round trip, and both directions against nghttp2 (node:http2).
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { HpackDecoder, HpackEncoder, HpackError } from '../../../src/proxy/h2/hpack';
import { EOS, HUFFMAN_CODES, HUFFMAN_LENGTHS, huffmanDecode, huffmanEncode, huffmanEncodedLength } from '../../../src/proxy/h2/huffman';
import { mulberry32 } from '../balancer/helpers';
import { FrameType, Flag, headers, PREFACE, RawH2, settings, settingsAck } from '../h2-frames';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const pairs = (flat: readonly string[]): string[] => flat.flatMap((x, i) => (i % 2 === 0 ? [`${x}: ${flat[i + 1]}`] : []));

function decode(d: HpackDecoder, block: Buffer, max = Infinity): { size: number; list: string[] } {
  const list: string[] = [];
  return { size: d.decode(block, 0, block.length, list, max), list };
}

/** An indexed field (RFC 7541 6.1) for index i < 254. */
const indexed = (i: number): Buffer => Buffer.from(i < 127 ? [0x80 | i] : [0xff, i - 127]);

/** The decoder's dynamic table, newest first, read back through indexed fields 62, 63, ... */
function tableOf(d: HpackDecoder): string[] {
  const out: string[] = [];
  for (let i = 62; i < 62 + d.tableStats.entries; i++) out.push(...decode(d, indexed(i)).list);
  expect(() => decode(d, indexed(62 + d.tableStats.entries))).toThrow(HpackError);
  return out;
}

/** Bits as text ('0'/'1', spaces ignored) to octets. */
const bits = (s: string): Buffer => Buffer.from((s.replace(/ /g, '').match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
const codeBits = (sym: number): string => HUFFMAN_CODES[sym].toString(2).padStart(HUFFMAN_LENGTHS[sym], '0');
const huff = (s: string): Buffer => {
  const b = Buffer.alloc(huffmanEncodedLength(s));
  expect(huffmanEncode(s, b, 0)).toBe(b.length);
  return b;
};

/** A bit-by-bit reference decoder: null when the string is invalid. */
const BY_CODE = new Map<number, number>();
for (let s = 0; s <= EOS; s++) BY_CODE.set(HUFFMAN_LENGTHS[s] * 2 ** 30 + HUFFMAN_CODES[s], s);
function referenceDecode(b: Uint8Array): string | null {
  let code = 0;
  let len = 0;
  let out = '';
  for (const byte of b) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      const sym = BY_CODE.get(++len * 2 ** 30 + code);
      if (sym === EOS) return null;
      if (sym !== undefined) [out, code, len] = [out + String.fromCharCode(sym), 0, 0];
    }
  }
  return len <= 7 && code === 2 ** len - 1 ? out : null;
}
const tryDecode = (b: Buffer): string | null => {
  try {
    return huffmanDecode(b, 0, b.length);
  } catch (e) {
    if (!(e instanceof HpackError)) throw e;
    return null;
  }
};

describe('Huffman code (RFC 7541 Appendix B)', () => {
  test('the table is a complete canonical code: lengths 5..30, Kraft sum exactly 1, codes assigned in (length, symbol) order', () => {
    expect([Math.min(...HUFFMAN_LENGTHS), Math.max(...HUFFMAN_LENGTHS)]).toEqual([5, 30]);
    expect([...HUFFMAN_LENGTHS].reduce((sum, l) => sum + 2 ** (30 - l), 0)).toBe(2 ** 30);
    const order = [...Array(257).keys()].sort((a, b) => HUFFMAN_LENGTHS[a] - HUFFMAN_LENGTHS[b] || a - b);
    let code = 0;
    order.forEach((s, i) => {
      if (i > 0) code = (code + 1) * 2 ** (HUFFMAN_LENGTHS[s] - HUFFMAN_LENGTHS[order[i - 1]]);
      expect([s, HUFFMAN_CODES[s]]).toEqual([s, code]);
    });
    const spot = [47, EOS, 0, 22, 255].map((sym) => [HUFFMAN_CODES[sym], HUFFMAN_LENGTHS[sym]]); // against the printed table
    expect(spot).toEqual([[0x18, 6], [0x3fffffff, 30], [0x1ff8, 13], [0x3ffffffe, 30], [0x3ffffee, 26]]);
  });

  test('every byte value round-trips, alone and all 256 in one string', () => {
    for (let c = 0; c < 256; c++) expect(huffmanDecode(huff(String.fromCharCode(c)), 0, huff(String.fromCharCode(c)).length).charCodeAt(0)).toBe(c);
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => 255 - i));
    expect(tryDecode(huff(all))).toBe(all);
    expect(tryDecode(Buffer.alloc(0))).toBe('');
  });

  test('the table-driven decoder agrees with a bit-by-bit reference on every 1- and 2-octet input and random longer ones', () => {
    const [seen, wrong] = [{ ok: 0, refused: 0 }, [] as string[]];
    const check = (b: Buffer): void => {
      const [got, want] = [tryDecode(b), referenceDecode(b)];
      if (got !== want) wrong.push(`${b.toString('hex')}: ${got} instead of ${want}`);
      seen[got === null ? 'refused' : 'ok']++;
    };
    for (let x = 0; x < 256; x++) check(Buffer.from([x]));
    for (let x = 0; x < 65536; x++) check(Buffer.from([x >> 8, x & 255]));
    const rnd = mulberry32(11);
    for (let i = 0; i < 5000; i++) check(Buffer.from(Array.from({ length: 3 + Math.floor(rnd() * 6) }, () => Math.floor(rnd() * 256))));
    expect(wrong).toEqual([]);
    expect(Math.min(seen.ok, seen.refused)).toBeGreaterThan(1000);
  });

  test.each([
    ['EOS inside the string', `${codeBits(97)} ${codeBits(EOS)} 11111`], ['EOS alone', `${codeBits(EOS)} 11`],
    ['padding longer than 7 bits', `${codeBits(97)} 111 11111111`], ['a whole octet of padding', '11111111'],
    ['padding with a zero bit (last)', `${codeBits(97)} 110`], ['padding with a zero bit (first)', `${codeBits(97)} 011`],
  ])('fails on %s', (_, b) => {
    expect(() => huffmanDecode(bits(b), 0, bits(b).length)).toThrow(expect.objectContaining({ code: 'HPACK_HUFFMAN' }));
    expect(referenceDecode(bits(b))).toBeNull();
  });
});

/** RFC 7541 Appendix C: steps of [block, header list, dynamic table afterwards (newest first), its size]. */
const DATE1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const REQ1 = [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com'];
const REQ2 = [...REQ1, 'cache-control', 'no-cache'];
const REQ3 = [':method', 'GET', ':scheme', 'https', ':path', '/index.html', ':authority', 'www.example.com', 'custom-key', 'custom-value'];
const RES1 = [':status', '302', 'cache-control', 'private', 'date', DATE1, 'location', 'https://www.example.com'];
const RES2 = [':status', '307', ...RES1.slice(2)];
const RES3 = [':status', '200', 'cache-control', 'private', 'date', DATE2, 'location', 'https://www.example.com', 'content-encoding', 'gzip', 'set-cookie', COOKIE];
const AUTH = [':authority', 'www.example.com'];
const T_RES1 = ['location', 'https://www.example.com', 'date', DATE1, 'cache-control', 'private', ':status', '302'];
const T_RES2 = [':status', '307', ...T_RES1.slice(0, 6)];
const T_RES3 = ['set-cookie', COOKIE, 'content-encoding', 'gzip', 'date', DATE2];

/** exact: our encoder writes the very octets of the RFC for these. */
const SEQUENCES: Record<string, { tableSize: number; steps: Array<[string, string[], string[], number]>; exact?: boolean }> = {
  'C.2.1 literal with indexing': { tableSize: 4096, steps: [['400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572', ['custom-key', 'custom-header'], ['custom-key', 'custom-header'], 55]] },
  'C.2.2 literal without indexing': { tableSize: 4096, steps: [['040c 2f73 616d 706c 652f 7061 7468', [':path', '/sample/path'], [], 0]] },
  'C.2.3 literal never indexed': { tableSize: 4096, steps: [['1008 7061 7373 776f 7264 0673 6563 7265 74', ['password', 'secret'], [], 0]] },
  'C.2.4 indexed field': { tableSize: 4096, exact: true, steps: [['82', [':method', 'GET'], [], 0]] },
  'C.3 requests without Huffman': { tableSize: 4096, steps: [
    ['8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', REQ1, AUTH, 57],
    ['8286 84be 5808 6e6f 2d63 6163 6865', REQ2, ['cache-control', 'no-cache', ...AUTH], 110],
    ['8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65', REQ3, ['custom-key', 'custom-value', 'cache-control', 'no-cache', ...AUTH], 164],
  ] },
  'C.4 requests with Huffman': { tableSize: 4096, exact: true, steps: [
    ['8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', REQ1, AUTH, 57],
    ['8286 84be 5886 a8eb 1064 9cbf', REQ2, ['cache-control', 'no-cache', ...AUTH], 110],
    ['8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf', REQ3, ['custom-key', 'custom-value', 'cache-control', 'no-cache', ...AUTH], 164],
  ] },
  'C.5 responses without Huffman, 256-octet table': { tableSize: 256, steps: [
    ['4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', RES1, T_RES1, 222],
    ['4803 3330 37c1 c0bf', RES2, T_RES2, 222],
    ['88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31', RES3, T_RES3, 215],
  ] },
  'C.6 responses with Huffman, 256-octet table': { tableSize: 256, steps: [
    ['4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3', RES1, T_RES1, 222],
    ['4883 640e ffc1 c0bf', RES2, T_RES2, 222],
    ['88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07', RES3, T_RES3, 215],
  ] },
};

describe('RFC 7541 Appendix C examples', () => {
  test.each(Object.entries(SEQUENCES))('%s: each block decodes to its list and leaves the table the RFC shows; our encoding of the list decodes back (to the very octets for C.2.4 and C.4)', (_, c) => {
    const [d, e, ours] = [new HpackDecoder(c.tableSize), new HpackEncoder(), new HpackDecoder(c.tableSize)];
    if (c.tableSize !== 4096) e.setPeerMaxTableSize(c.tableSize);
    for (const [block, list, table, size] of c.steps) {
      expect(decode(d, hex(block))).toEqual({ list, size: pairs(list).length * 32 + list.join('').length });
      expect([tableOf(d), d.tableStats.bytes]).toEqual([table, size]);
      const block2 = e.encode(list);
      if (c.exact) expect(block2.toString('hex')).toBe(hex(block).toString('hex'));
      expect(decode(ours, block2).list).toEqual(list);
      expect(e.tableStats).toEqual(ours.tableStats);
    }
  });
});

describe('HpackDecoder refusals', () => {
  test.each([
    ['80', 'HPACK_INDEX', 'index 0'], ['be', 'HPACK_INDEX', 'index 62 with an empty dynamic table'],
    ['ff00', 'HPACK_INDEX', 'index 127'], ['ffffffff7f', 'HPACK_INDEX', 'the largest integer allowed (2^28 + 126), as an index'],
    ['7f00', 'HPACK_INDEX', 'a literal whose name index 63 is beyond the tables'], ['0f30', 'HPACK_INDEX', 'a never-indexed literal whose name index 63 is beyond the tables'],
    ['3fe21f', 'HPACK_TABLE_SIZE', 'a table size update to 4097, above the 4096 we allow'], ['8220', 'HPACK_TABLE_SIZE', 'a table size update after a field'],
    ['ff', 'HPACK_TRUNCATED', 'an integer cut after its prefix'], ['ff80', 'HPACK_TRUNCATED', 'an integer cut after a continuation octet'],
    ['4005616263', 'HPACK_TRUNCATED', 'a name of 5 octets with 3 left'], ['00', 'HPACK_TRUNCATED', 'a literal with no name string'],
    ['04', 'HPACK_TRUNCATED', 'a literal with no value string'], ['047f', 'HPACK_TRUNCATED', 'a value length cut after its prefix'],
    ['0481ff', 'HPACK_HUFFMAN', 'a Huffman value of one octet of padding'], ['ff8080808001', 'HPACK_INTEGER', 'an integer of 5 continuation octets'],
    ['04ffffffffff0f', 'HPACK_INTEGER', 'a string length over 2^28'],
  ])('fails on %s: %s (%s)', (block, code) => {
    expect(() => decode(new HpackDecoder(), hex(block))).toThrow(HpackError);
    expect(() => decode(new HpackDecoder(), hex(block))).toThrow(expect.objectContaining({ code }));
  });

  test('accepts table size updates at the start of a block, two of them, up to the size we allow', () => {
    const d = new HpackDecoder(256);
    expect(decode(d, hex('20 3fe101 82')).list).toEqual([':method', 'GET']);
    expect(d.tableStats.max).toBe(256);
    expect(() => decode(d, hex('3fe201'))).toThrow(expect.objectContaining({ code: 'HPACK_TABLE_SIZE' }));
  });

  test('an entry larger than the whole table empties it and is not added, yet the field is decoded (RFC 7541 4.4)', () => {
    const d = new HpackDecoder(64);
    expect(decode(d, hex('40 0161 0162')).list).toEqual(['a', 'b']); // 34 octets: fits
    expect(decode(d, Buffer.concat([hex('40 0178 21'), Buffer.alloc(33, 0x79)])).list).toEqual(['x', 'y'.repeat(33)]); // 66 octets
    expect(d.tableStats).toEqual({ bytes: 0, entries: 0, max: 64 });
  });

  test('past maxListSize it stops appending but keeps decoding, so a later block that uses the new entries decodes right', () => {
    const lit = (n: string, v: string): Buffer => Buffer.from([0x40, n.length, ...Buffer.from(n), v.length, ...Buffer.from(v)]);
    const [v, d] = ['x'.repeat(40), new HpackDecoder()];
    const first = decode(d, Buffer.concat([lit('x-one', v), lit('x-two', v), lit('x-three', v), hex('82')]), 100);
    expect(first.list).toEqual(['x-one', v]);
    expect(first.size).toBe(77 + 77 + 79 + 42);
    expect(decode(d, hex('be bf c0')).list).toEqual(['x-three', v, 'x-two', v, 'x-one', v]);
  });

  test('fails on a block range outside the buffer', () => expect(() => new HpackDecoder().decode(Buffer.alloc(2), 1, 3, [], 100)).toThrow(RangeError));
});

describe('HpackEncoder', () => {
  test('starts the next block with a table size update after setPeerMaxTableSize, and only that block', () => {
    const e = new HpackEncoder();
    e.setPeerMaxTableSize(100);
    expect(e.encode([':method', 'GET']).toString('hex')).toBe('3f4582');
    expect(e.encode([':method', 'GET']).toString('hex')).toBe('82');
    e.setPeerMaxTableSize(65536); // above our own ceiling of 4096
    expect(e.encode([]).toString('hex')).toBe('3fe11f');
  });

  test('sends the minimum then the final size when the peer went down and back up, and forgets the evicted entries', () => {
    const [e, d, list] = [new HpackEncoder(), new HpackDecoder(), ['user-agent', 'curl/8.5']];
    decode(d, e.encode(list));
    expect(decode(d, e.encode(list), 0).size).toBe(50); // 'be': an index, and it counts though nothing was kept
    expect(e.encode(list).toString('hex')).toBe('be');
    e.setPeerMaxTableSize(0);
    e.setPeerMaxTableSize(4096);
    const block = e.encode(list);
    expect(block.subarray(0, 4).toString('hex')).toBe('203fe11f');
    expect(block[4] & 0xc0).toBe(0x40); // indexed again as a literal, not a stale reference
    expect(decode(d, block).list).toEqual(list);
    expect(e.tableStats).toEqual(d.tableStats);
  });

  const NEVER = 'never indexed (0x10)';
  const WITHOUT = 'without indexing (0x00)';
  test.each([
    ['authorization', NEVER, 'Bearer abc.def.ghi-longer-than-twenty'], ['proxy-authorization', NEVER, 'Basic dXNlcjpwYXNz'],
    ['cookie', NEVER, 'sid=12345'], ['set-cookie', NEVER, 'sid=12345; Path=/'], ['cookie', WITHOUT, 'session=0123456789abcdef0123'],
    [':path', WITHOUT, '/api/items/1'], ['x-request-id', WITHOUT, 'b7f3c2a0-1d2e'], ['x-big', WITHOUT, 'v'.repeat(129)],
    ['x-trace', WITHOUT, 'caller-marked'],
  ])('sends %s %s and keeps it out of the table', (name, kind, value) => {
    const e = new HpackEncoder({ uniqueNames: ['x-trace'] });
    for (let i = 0; i < 2; i++) {
      const block = e.encode([name, value]);
      expect(block[0] & 0xf0).toBe(kind === NEVER ? 0x10 : 0x00);
      expect(decode(new HpackDecoder(), block).list).toEqual([name, value]);
    }
    expect(e.tableStats.entries).toBe(0);
  });

  test('indexes repeating fields: the second block is one octet a field', () => {
    const [e, list] = [new HpackEncoder(), ['user-agent', 'curl/8.5', 'x-tenant', 'blue']];
    expect(e.encode(list)[0]).toBe(0x40 | 58); // literal with incremental indexing, name: static entry 58
    expect(e.encode(list).toString('hex')).toBe('bfbe');
  });

  test('Huffman-codes a string only when that is shorter', () => {
    const e = new HpackEncoder();
    expect([huffmanEncodedLength('x-custom'), huffmanEncodedLength('\x00\x01\x02')]).toEqual([6, 8]);
    expect(e.encode(['x-custom', '\x00\x01\x02']).toString('hex')).toBe(`4086${huff('x-custom').toString('hex')}03000102`); // name coded, value raw
  });

  test('fails on a SETTINGS_HEADER_TABLE_SIZE that is not a 32-bit unsigned integer', () => {
    expect(() => new HpackEncoder().setPeerMaxTableSize(-1)).toThrow(RangeError);
    expect(() => new HpackEncoder().setPeerMaxTableSize(2 ** 32)).toThrow(/32-bit unsigned integer, got 4294967296/);
  });

  test('2000 random header lists round-trip through encoder and decoder with the tables in step (seeded)', () => {
    const rnd = mulberry32(2024);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
    const names = [':authority', 'accept', 'accept-encoding', 'user-agent', 'cookie', 'authorization', 'content-type', 'date', 'x-request-id',
      ':path', 'x-tenant', 'x-custom-a', 'x-custom-b', 'set-cookie', 'cache-control', 'x-Odd'];
    const common = ['', 'gzip, deflate', 'application/json', 'blue', 'green', 'curl/8.5', '/', 'no-cache', 'a'.repeat(150)];
    const randomValue = (): string => String.fromCharCode(...Array.from({ length: Math.floor(rnd() ** 3 * 300) }, () => Math.floor(rnd() * 256)));
    const [e, d] = [new HpackEncoder(), new HpackDecoder()];
    let most = 0;
    for (let n = 0; n < 2000; n++) {
      if (rnd() < 0.02) e.setPeerMaxTableSize(pick([0, 64, 256, 1024, 4096, 100_000]));
      if (rnd() < 0.01) e.setPeerMaxTableSize(pick([0, 100, 4096]));
      const list: string[] = [];
      for (let f = Math.floor(rnd() * 14); f > 0; f--) list.push(pick(names), rnd() < 0.6 ? pick(common) : randomValue());
      expect(decode(d, e.encode(list)).list).toEqual(list);
      expect(e.tableStats).toEqual(d.tableStats);
      most = Math.max(most, d.tableStats.entries);
    }
    expect(most).toBeGreaterThan(10); // the dynamic table was in use
  });
});

/** Frames from a byte stream that starts with the client preface: type, flags, stream id, payload. */
function frameReader(onFrame: (type: number, flags: number, id: number, payload: Buffer) => void): (d: Buffer) => void {
  let [buf, preface] = [Buffer.alloc(0), true];
  return (d) => {
    buf = Buffer.concat([buf, d]);
    if (preface && buf.length >= 24) {
      expect(buf.subarray(0, 24)).toEqual(PREFACE);
      [preface, buf] = [false, buf.subarray(24)];
    }
    while (!preface && buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
      const len = buf.readUIntBE(0, 3);
      onFrame(buf[3], buf[4], buf.readUInt32BE(5) & 0x7fffffff, buf.subarray(9, 9 + len));
      buf = buf.subarray(9 + len);
    }
  };
}

describe('against nghttp2 (node:http2)', () => {
  test("decodes node:http2's client header blocks for 12 requests on one connection", async () => {
    const blocks: Buffer[] = [];
    let pending: Buffer[] = [];
    const server = net.createServer((sock) => {
      sock.on('error', () => undefined);
      sock.write(settings());
      sock.on('data', frameReader((type, flags, _id, p) => {
        if (type === FrameType.SETTINGS && !(flags & Flag.ACK)) sock.write(settingsAck());
        // A HEADERS frame's fragment comes after the pad length (PADDED, 0x8) and the priority (PRIORITY, 0x20), before the padding.
        if (type === FrameType.HEADERS) pending = [p.subarray((flags & 0x8 ? 1 : 0) + (flags & 0x20 ? 5 : 0), p.length - (flags & 0x8 ? p[0] : 0))];
        if (type === FrameType.CONTINUATION) pending.push(p);
        if ((type === FrameType.HEADERS || type === FrameType.CONTINUATION) && flags & Flag.END_HEADERS) blocks.push(Buffer.concat(pending));
      }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on('error', () => undefined);
    const sent: string[][] = [];
    for (let i = 0; i < 12; i++) {
      const h: http2.OutgoingHttpHeaders = { ':method': i % 3 ? 'GET' : 'POST', ':path': `/items/${i % 4}?q=${'z'.repeat(i * 7)}`, 'user-agent': 'hpack-test/1.0',
        'x-tenant': ['blue', 'green', 'red'][i % 3], 'x-n': String(i), 'x-latin1': `caf\xe9 ${i % 2}`, accept: 'application/json' };
      if (i % 4 === 1) h.authorization = 'Bearer secret-token-value';
      if (i % 5 === 2) h['x-long'] = 'L'.repeat(300 + i);
      sent.push(pairs([...Object.entries(h).flatMap(([k, v]) => [k, String(v)]), ':scheme', 'http', ':authority', `127.0.0.1:${port}`]).sort());
      client.request(h, { endStream: true }).on('error', () => undefined);
    }
    const d = new HpackDecoder();
    for (const end = Date.now() + 5000; blocks.length < 12 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    client.destroy();
    await new Promise((r) => server.close(r));
    expect(blocks).toHaveLength(12);
    expect(blocks.map((b) => pairs(decode(d, b).list).sort())).toEqual(sent);
    expect(d.tableStats.entries).toBeGreaterThan(3); // nghttp2 did index fields, and we followed its table
    expect(blocks.reduce((sum, b) => sum + b.length, 0)).toBeLessThan(sent.flat().join('').length * 0.6); // it compressed
  });

  test.each([4096, 256])('node:http2 (header table size %d) reads 20 requests encoded by HpackEncoder exactly', async (tableSize) => {
    const seen: string[][] = [];
    const server = http2.createServer({ settings: { headerTableSize: tableSize } });
    server.on('stream', (stream: http2.ServerHttp2Stream, _h: http2.IncomingHttpHeaders, _f: number, raw: string[]) => {
      seen.push(raw);
      stream.respond({ ':status': 204 }, { endStream: true });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = await RawH2.open('127.0.0.1', (server.address() as net.AddressInfo).port);
    const settingsSeen = await c.until(() => c.serverSettings > 0, 3000);
    const e = new HpackEncoder();
    e.setPeerMaxTableSize(tableSize);
    const lists: string[][] = [];
    for (let i = 0; i < 20; i++) {
      const list = [':method', i % 4 ? 'GET' : 'POST', ':scheme', 'http', ':authority', 'h2.test', ':path', `/v1/items/${i}`,
        'user-agent', 'proxy-test/2.0', 'accept', 'application/json', 'x-tenant', ['blue', 'green', 'red'][i % 3], 'x-request-id', `req-${i}`,
        'x-latin1', `d\xe9j\xe0 vu ${i % 3}`, 'x-padding', 'p'.repeat(10 + ((i * 13) % 60))];
      if (i % 3 === 0) list.push('cookie', i % 2 ? 'short=1' : 'session=0123456789abcdef0123456789');
      if (i % 5 === 0) list.push('authorization', 'Bearer abc');
      lists.push(list);
      await c.send(headers(2 * i + 1, e.encode(list)));
    }
    await c.until(() => seen.length >= 20, 5000);
    c.destroy();
    await new Promise((r) => server.close(r));
    expect([settingsSeen, c.goaway]).toEqual([true, undefined]);
    expect(seen).toEqual(lists);
    expect(e.tableStats.bytes).toBeLessThanOrEqual(tableSize);
  });
});

const bench = process.env.HPACK_BENCH === '1' ? test : test.skip;
bench('micro-benchmark: a typical 10-field request block on a warm connection (prints ops/s; HPACK_BENCH=1)', () => {
  const lists = Array.from({ length: 1000 }, (_, i) => [':method', 'GET', ':scheme', 'https', ':authority', 'api.example.com', ':path', `/v1/users/${i}/orders`,
    'user-agent', 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/126.0', 'accept', 'application/json', 'accept-encoding', 'gzip, deflate, br',
    'accept-language', 'en-US,en;q=0.5', 'x-request-id', `0b5c1a3e-7f0d-4c44-9a7b-${String(i).padStart(12, '0')}`, 'x-tenant', 'blue']);
  const [e, d, n, out] = [new HpackEncoder(), new HpackDecoder(), 200_000, [] as string[]];
  const blocks = lists.map((l) => e.encode(l));
  decode(d, blocks[0]); // the decoder's table now holds what the later blocks refer to; they add nothing to it
  const opsPerSecond = (run: (i: number) => void): number => {
    for (let i = 0; i < n; i++) run(i); // warm-up: let the JIT optimise first
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) run(i);
    return Math.round(n / (Number(process.hrtime.bigint() - t) / 1e9));
  };
  const enc = opsPerSecond((i) => e.encode(lists[i % 1000]));
  const dec = opsPerSecond((i) => {
    out.length = 0;
    d.decode(blocks[1 + (i % 999)], 0, blocks[1 + (i % 999)].length, out, 65536);
  });
  console.log(`HPACK 10-field request: encode ${enc} ops/s, decode ${dec} ops/s (block ${blocks[5].length} B, first ${blocks[0].length} B, text ${lists[5].join('').length} B)`);
  expect(decode(d, blocks[7]).list).toEqual(lists[7]);
});
