import { murmur3 } from '../../../src/proxy/balancer';

/** Byte-wise reference murmur3_x86_32, checked against the published vectors below. */
function murmur3Bytes(bytes: Uint8Array, seed: number): number {
  let h = seed | 0;
  const blocks = bytes.length & ~3;
  const mix = (k: number) => {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, 0x1b873593);
  };
  for (let i = 0; i < blocks; i += 4) {
    h ^= mix(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = bytes.length & 3;
  if (tail > 0) {
    let k = 0;
    for (let t = tail - 1; t >= 0; t--) k ^= bytes[blocks + t] << (8 * t);
    h ^= mix(k);
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('murmur3', () => {
  test.each([
    { input: '', seed: 0, expected: 0 },
    { input: '', seed: 1, expected: 0x514e28b7 },
    { input: '', seed: 0xffffffff, expected: 0x81f16f39 },
    { input: 'test', seed: 0, expected: 0xba6bd213 },
    { input: 'Hello, world!', seed: 0x9747b28c, expected: 0x24884cba },
    { input: 'The quick brown fox jumps over the lazy dog', seed: 0x9747b28c, expected: 0x2fa826cd },
  ])('the byte-wise reference matches the published vector for "$input"', ({ input, seed, expected }) => {
    expect(murmur3Bytes(Buffer.from(input, 'utf8'), seed)).toBe(expected);
  });

  test.each(['', 'a', 'ab', 'abc', '10.0.0.1:8080', 'user-12345', 'żółw 🐢', 'x'.repeat(101)])(
    'equals murmur3 of the UTF-16LE bytes of "%s"',
    (input) => {
      for (const seed of [0, 1, 99, 0xdeadbeef]) {
        expect(murmur3(input, seed)).toBe(murmur3Bytes(Buffer.from(input, 'utf16le'), seed));
      }
    },
  );

  test('spreads sequential keys evenly over 16 buckets', () => {
    const buckets = new Array<number>(16).fill(0);
    const n = 160_000;
    for (let i = 0; i < n; i++) buckets[murmur3(`user-${i}`) >>> 28]++;
    // Binomial(160000, 1/16): sd ≈ 97; 5 sd is about 3% of the expected 10000.
    for (const b of buckets) expect(Math.abs(b - n / 16)).toBeLessThan(500);
  });

  test('flips about half the output bits when one input bit changes', () => {
    let flipped = 0;
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const x = murmur3(`key-${i}a`) ^ murmur3(`key-${i}c`);
      flipped += popcount(x);
    }
    expect(flipped / n).toBeGreaterThan(15.5);
    expect(flipped / n).toBeLessThan(16.5);
  });
});

function popcount(x: number): number {
  let c = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) c++;
  return c;
}
