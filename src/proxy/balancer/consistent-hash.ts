/**
 * Consistent hashing on a ring, with bounded loads.
 *
 * Ring: Karger et al., "Consistent Hashing and Random Trees" (STOC 1997). Each endpoint is placed at
 * round(virtualNodes × weight) points, point k at murmur3(endpoint.id, seed k); a key is served by the first point
 * clockwise from murmur3(key). Adding or removing one of n endpoints moves only about 1/n of the keys, and only to or
 * from that endpoint. Points hash the endpoint's id (address:port), never its list position, so every proxy (every
 * sidecar) builds the same ring from the same set and sends a key to the same pod.
 *
 * Why a ring and not Maglev (Eisenbud et al., NSDI 2016): Maglev's table gives O(1) lookups and a more even spread,
 * but it is rebuilt wholesale on change (remapping a little more than 1/n) and has no natural "next candidate". Bounded
 * loads need exactly that: the ring's clockwise walk is the paper's algorithm. With n ≤ a few hundred and 100 points
 * each, a lookup is a binary search over ≤ ~10^5 points, about 17 steps.
 *
 * Bounded loads: Mirrokni, Thorup, Zadimoghaddam, "Consistent Hashing with Bounded Loads" (SODA 2018). With total
 * in-flight T over the eligible endpoints, an endpoint may take the request only while
 *
 *   inFlight + 1 ≤ ceil(loadFactor × (T + 1) × weight / W)      (W = sum of eligible weights)
 *
 * which for equal weights is the paper's ceil(c × (T + 1) / n). The walk skips endpoints over their bound and
 * endpoints not in the eligible list (ejected, or already tried by this request). Some endpoint is always under its
 * bound (the bounds sum to at least c × (T + 1) > T), so the walk ends within one lap. A hot key spills over to the
 * next endpoints on the ring instead of melting its owner.
 *
 * Requests without a key (no header, no cookie) fall back to power of two choices: they have no affinity to keep, and
 * P2C spreads them by load. So do the rare picks where no ring endpoint is eligible (endpoints the pool never
 * announced through onEndpointsChanged).
 *
 * The ring holds at most MAX_RING_POINTS (2^20) points; beyond that every endpoint's count is scaled down in
 * proportion (each keeps at least one). Building the largest ring takes about 0.2 s; a typical one (10 × 100) 0.3 ms.
 */
import { murmur3 } from './hash';
import { PowerOfTwoChoicesBalancer } from './power-of-two-choices';
import type { Balancer, BalancerDeps, Endpoint, PickContext } from './types';

export const MAX_RING_POINTS = 1 << 20;
const POINT_SLOTS = MAX_RING_POINTS;

export interface ConsistentHashOptions {
  readonly loadFactor: number;
  readonly virtualNodes: number;
  /** Ring size cap, at most MAX_RING_POINTS. @default MAX_RING_POINTS */
  readonly maxRingPoints?: number;
}

export class ConsistentHashBalancer implements Balancer {
  private members: Endpoint[] = [];
  private memberIndex = new Map<Endpoint, number>();
  private pointsOf = new Uint32Array(0);
  /** Sorted ring positions, and the member index owning each. */
  private ring = new Uint32Array(0);
  private owners = new Uint32Array(0);
  /** Per member: the generation of the last pick in which it was eligible. */
  private eligibleIn = new Uint32Array(0);
  private generation = 0;
  private readonly fallback: PowerOfTwoChoicesBalancer;

  public constructor(
    private readonly options: ConsistentHashOptions,
    deps: BalancerDeps,
  ) {
    this.fallback = new PowerOfTwoChoicesBalancer(deps);
  }

  public pick(endpoints: readonly Endpoint[], ctx: PickContext): Endpoint | undefined {
    const n = endpoints.length;
    const key = ctx.hashKey;
    if (n <= 1 || key === undefined || this.ring.length === 0) return this.fallback.pick(endpoints, ctx);

    const allEligible = this.isWholeSet(endpoints);
    const gen = allEligible ? 0 : this.markEligible(endpoints);
    let totalInFlight = 0;
    let totalWeight = 0;
    for (let i = 0; i < n; i++) {
      totalInFlight += endpoints[i].inFlight;
      totalWeight += endpoints[i].weight;
    }
    const share = (this.options.loadFactor * (totalInFlight + 1)) / totalWeight;

    const ring = this.ring;
    const size = ring.length;
    let p = lowerBound(ring, murmur3(key));
    for (let step = 0; step < size; step++, p++) {
      if (p === size) p = 0;
      const m = this.owners[p];
      if (!allEligible && this.eligibleIn[m] !== gen) continue;
      const e = this.members[m];
      // The epsilon keeps float noise (1.25 × 8 / 10 = 1.0000000000000002) from raising the bound by one.
      if (e.inFlight + 1 <= Math.ceil(share * e.weight - 1e-9)) return e;
    }
    return this.fallback.pick(endpoints, ctx);
  }

  public onResult(): void {
    // The pool maintains inFlight; the ring depends only on membership.
  }

  public onEndpointsChanged(all: readonly Endpoint[]): void {
    const members = all.slice();
    const index = new Map<Endpoint, number>();
    members.forEach((e, i) => index.set(e, i));

    const perUnit = this.options.virtualNodes;
    const wanted = members.map((e) => Math.max(1, Math.round(perUnit * e.weight)));
    const total = wanted.reduce((a, b) => a + b, 0);
    const cap = Math.min(this.options.maxRingPoints ?? MAX_RING_POINTS, MAX_RING_POINTS);
    const scale = total > cap ? cap / total : 1;
    const pointsOf = Uint32Array.from(wanted, (w) => Math.max(1, Math.floor(w * scale)));

    // Sort key = position × 2^20 + point number (< 2^52, exact in a double), so a native numeric sort orders the
    // ring, and equal positions (rare) fall to the point number. Points are numbered in endpoint-id order, so every
    // proxy resolves such ties the same way whatever the order of its endpoint list.
    const byId = members.map((_, m) => m).sort((x, y) => compareIds(members[x].id, members[y].id));
    const size = pointsOf.reduce((a, b) => a + b, 0);
    const keys = new Float64Array(size);
    const ownerOf = new Uint32Array(size);
    let k = 0;
    for (const m of byId) {
      const id = members[m].id;
      for (let v = 0; v < pointsOf[m]; v++, k++) {
        keys[k] = murmur3(id, v) * POINT_SLOTS + k;
        ownerOf[k] = m;
      }
    }
    keys.sort();
    const ring = new Uint32Array(size);
    const owners = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      const position = Math.floor(keys[i] / POINT_SLOTS);
      ring[i] = position;
      owners[i] = ownerOf[keys[i] - position * POINT_SLOTS];
    }
    this.ring = ring;
    this.owners = owners;
    this.members = members;
    this.memberIndex = index;
    this.pointsOf = pointsOf;
    this.eligibleIn = new Uint32Array(members.length);
    this.generation = 0;
  }

  public describe(endpoint: Endpoint): Record<string, number | string | undefined> {
    const m = this.memberIndex.get(endpoint);
    return { ringPoints: m === undefined ? 0 : this.pointsOf[m], inFlight: endpoint.inFlight };
  }

  /** True when `endpoints` is exactly the announced set, in order: then every ring member is eligible. */
  private isWholeSet(endpoints: readonly Endpoint[]): boolean {
    const members = this.members;
    if (endpoints.length !== members.length) return false;
    for (let i = 0; i < endpoints.length; i++) {
      if (endpoints[i] !== members[i]) return false;
    }
    return true;
  }

  /** Stamps the eligible members with a fresh generation (no allocation) and returns it. */
  private markEligible(endpoints: readonly Endpoint[]): number {
    this.generation = (this.generation + 1) >>> 0;
    if (this.generation === 0) {
      this.eligibleIn.fill(0);
      this.generation = 1;
    }
    for (let i = 0; i < endpoints.length; i++) {
      const m = this.memberIndex.get(endpoints[i]);
      if (m !== undefined) this.eligibleIn[m] = this.generation;
    }
    return this.generation;
  }
}

/** First index whose value is ≥ h, or ring.length when h is past the last point (the caller wraps). */
function lowerBound(ring: Uint32Array, h: number): number {
  let lo = 0;
  let hi = ring.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ring[mid] < h) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
