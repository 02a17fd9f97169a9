/**
 * Small pieces the algorithms share: the load comparison, distinct sampling for P2C, and state housekeeping.
 *
 * Load is "in-flight per unit of weight if this request were added": (inFlight + 1) / weight. The + 1 is envoy's
 * least-request choice: with it, weights still matter when every endpoint is idle (1/5 < 1/1), and for equal weights
 * it orders endpoints exactly as inFlight does. Loads are compared by cross-multiplying, so there is no division.
 */
import type { Endpoint } from './types';

/** Negative when `a` is less loaded than `b`, zero on a tie, positive when `b` is less loaded. */
export function compareLoad(a: Endpoint, b: Endpoint): number {
  return (a.inFlight + 1) * b.weight - (b.inFlight + 1) * a.weight;
}

/** Uniform index in [0, n). Clamped so a generator that returns exactly 1 cannot index past the end. */
export function randomIndex(n: number, random: () => number): number {
  const i = Math.floor(random() * n);
  return i < n ? (i >= 0 ? i : 0) : n - 1;
}

/**
 * A second index, uniform over [0, n) without `first` (n >= 2): draw from n - 1 slots and step over `first`.
 * This is sampling *without* replacement; envoy's least-request drew with replacement (envoy#20420), so with two
 * endpoints it compared an endpoint with itself a quarter of the time and sent load to a busy one.
 */
export function otherIndex(n: number, first: number, random: () => number): number {
  const j = randomIndex(n - 1, random);
  return j >= first ? j + 1 : j;
}

/** Median of `values` (sorts them in place); undefined when empty. */
export function medianInPlace(values: number[]): number | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  values.sort((a, b) => a - b);
  const mid = n >> 1;
  return n % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/** Drops the state of endpoints that left the set, so a long-lived proxy does not leak per-endpoint state. */
export function pruneStates<S>(states: Map<Endpoint, S>, all: readonly Endpoint[]): void {
  if (states.size === 0) return;
  const keep = new Set(all);
  for (const endpoint of states.keys()) {
    if (!keep.has(endpoint)) states.delete(endpoint);
  }
}
