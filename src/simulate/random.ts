/**
 * Seeded randomness for the simulator: one independent stream per concern (arrivals, each backend, each proxy
 * replica), so that changing the algorithm changes nothing but the picks. All algorithms then see the same arrivals
 * and the same request costs (common random numbers), and a comparison between them is not noise.
 *
 * The generator is mulberry32 (Tommy Ettinger, public domain): 32 bits of state, period 2^32, fast and good enough
 * for a simulation; each stream is seeded by hashing the scenario seed with the stream's name (FNV-1a, then a mix).
 */

export class Rng {
  private state: number;

  public constructor(seed: number, stream = '') {
    this.state = streamSeed(seed, stream);
  }

  /** Uniform in [0, 1). */
  public next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box-Muller; one of the pair is dropped, which keeps the stream simple). */
  public normal(): number {
    const u = 1 - this.next(); // (0, 1]: no log(0)
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean. */
  public exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
}

function streamSeed(seed: number, stream: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  h = Math.imul(h, 0x01000193);
  h ^= Math.floor(seed / 4294967296);
  for (let i = 0; i < stream.length; i++) {
    h ^= stream.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}
