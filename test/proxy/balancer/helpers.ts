/** Test fixtures for the balancers: a seeded PRNG, a fake clock, fake endpoints and pick counters. */
import type { BalancerDeps, Endpoint } from '../../../src/proxy/balancer';

/** mulberry32: a tiny seeded 32-bit PRNG, uniform in [0, 1). Good enough for shares; deterministic per seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Replays `values` in order, then repeats the last one. */
export function scripted(values: readonly number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)];
}

export interface FakeClock {
  now: () => number;
  advance: (ms: number) => void;
}

export function fakeClock(start = 1_000_000): FakeClock {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

export function deps(random: () => number = mulberry32(42), clock: FakeClock = fakeClock()): BalancerDeps {
  return { random, now: clock.now };
}

export interface EndpointSpec {
  readonly weight?: number;
  readonly subset?: string;
  readonly inFlight?: number;
}

export function endpoint(name: string, spec: EndpointSpec = {}): Endpoint {
  const port = 8080;
  return {
    id: `${name}:${port}`,
    address: name,
    port,
    weight: spec.weight ?? 1,
    subset: spec.subset ?? 'default',
    inFlight: spec.inFlight ?? 0,
  };
}

/** Endpoints named a, b, c... (or e0, e1... beyond 26). */
export function endpoints(n: number, spec: EndpointSpec = {}): Endpoint[] {
  return Array.from({ length: n }, (_, i) => endpoint(n <= 26 ? String.fromCharCode(97 + i) : `e${i}`, spec));
}

/** The address of each pick, for readable sequence assertions. */
export function names(picks: readonly (Endpoint | undefined)[]): string {
  return picks.map((e) => e?.address ?? '-').join(' ');
}

/** Share of picks per endpoint address over `count` picks. */
export function shares(count: number, pick: () => Endpoint | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const e = pick();
    const key = e?.address ?? '-';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  for (const key of Object.keys(counts)) counts[key] /= count;
  return counts;
}
