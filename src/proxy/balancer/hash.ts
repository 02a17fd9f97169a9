/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby, public domain), over a string's UTF-16 code units.
 *
 * Two code units make one 32-bit block, little-endian, so the result equals murmur3_x86_32 of the string's UTF-16LE
 * bytes (tested against a byte-wise reference). Reading code units directly avoids encoding the string to UTF-8 on
 * every request. Murmur3's finalizer (fmix32) gives full avalanche, which matters here: ring points are hashes of
 * similar strings (one endpoint id under many seeds) and request keys are often sequential ids. Plain FNV-1a 32 has
 * weak high bits on short similar keys; 64-bit FNV via BigInt is slow.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

export function murmur3(key: string, seed = 0): number {
  let h = seed | 0;
  const len = key.length;
  let i = 0;
  for (; i + 1 < len; i += 2) {
    let k = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < len) {
    let k = key.charCodeAt(i);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= len * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
