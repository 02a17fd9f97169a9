import { scaleTime, SCENARIOS } from '../../src/simulate';
import type { Scenario, SimulationResult } from '../../src/simulate';

/** A shipped scenario by name (throws if it is gone, so a renamed scenario fails the tests that use it). */
export function shipped(name: string): Scenario {
  const s = SCENARIOS[name];
  if (s === undefined) throw new Error(`no shipped scenario "${name}"`);
  return s;
}

/** Scenario 4 cut to 6 s of virtual time: its figures settle within a second, and the tests stay fast. */
export const benchSlowShort = (): Scenario => scaleTime(shipped('bench-slow'), 0.3);

export function share(r: SimulationResult, backend: string): number {
  const b = r.backends.find((x) => x.name === backend);
  if (!b) throw new Error(`no backend ${backend} in ${r.scenario}`);
  return b.share;
}

/** The mean share of `backend` over the buckets that start in [fromMs, toMs). */
export function shareBetween(r: SimulationResult, backend: string, fromMs: number, toMs: number): number {
  const i = r.backends.findIndex((x) => x.name === backend);
  const buckets = r.buckets.filter((b) => b.startMs >= fromMs && b.startMs < toMs);
  return buckets.reduce((sum, b) => sum + b.shares[i], 0) / buckets.length;
}

export function watched(r: SimulationResult, backend: string) {
  const w = r.watch.find((x) => x.backend === backend);
  if (!w) throw new Error(`${backend} is not watched in ${r.scenario}`);
  return w;
}
