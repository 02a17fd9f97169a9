/**
 * Round robin: each eligible endpoint in turn.
 *
 * The rotation follows the order of the eligible list, which the pool keeps as a stable filter of the full set.
 * The balancer remembers the endpoint it picked last and where, and the next pick is the one after it:
 *
 * - fast path, O(1): the list is unchanged, so `endpoints[lastIndex]` is still the last pick;
 * - the list shifted (an endpoint added or ejected before it): find the last pick again (identity scan, O(n));
 * - the last pick is gone (removed, ejected, or excluded because a retry already tried it): resume at the eligible
 *   endpoint with the smallest rank after it, where ranks are positions in the full set from `onEndpointsChanged`.
 *
 * So a membership change never resets the rotation to the first endpoint. The very first pick starts at a random
 * position: many sidecar proxies start with the same list, and starting all of them at endpoint 0 would send each
 * one's first request to the same pod.
 */
import { randomIndex } from './shared';
import type { Balancer, BalancerDeps, Endpoint, PickContext } from './types';

export class RoundRobinBalancer implements Balancer {
  /** Position of each endpoint in the full set; endpoints never announced get ranks after the known ones. */
  private ranks = new Map<Endpoint, number>();
  private nextRank = 0;
  private last: Endpoint | undefined;
  private lastIndex = 0;
  /** Rank to resume after when the last pick left the set (NaN: use the last pick's own rank). */
  private resumeRank = NaN;

  public constructor(private readonly deps: BalancerDeps) {}

  public pick(endpoints: readonly Endpoint[], _ctx: PickContext): Endpoint | undefined {
    const n = endpoints.length;
    if (n === 0) return undefined;
    const last = this.last;
    let next: number;
    if (last === undefined) {
      next = randomIndex(n, this.deps.random);
    } else if (endpoints[this.lastIndex] === last) {
      next = this.lastIndex + 1 < n ? this.lastIndex + 1 : 0;
    } else {
      const at = endpoints.indexOf(last);
      next = at >= 0 ? (at + 1 < n ? at + 1 : 0) : this.resumeIndex(endpoints, last);
    }
    this.last = endpoints[next];
    this.lastIndex = next;
    this.resumeRank = NaN;
    return this.last;
  }

  public onResult(): void {
    // Round robin ignores feedback.
  }

  public onEndpointsChanged(all: readonly Endpoint[]): void {
    const old = this.ranks;
    const ranks = new Map<Endpoint, number>();
    for (let i = 0; i < all.length; i++) ranks.set(all[i], i);
    const last = this.last;
    if (last !== undefined && !ranks.has(last)) {
      // The last pick left: resume just before the first survivor that came after it in the old order.
      const lastRank = Number.isNaN(this.resumeRank) ? (old.get(last) ?? -1) : this.resumeRank;
      let bestOld = Infinity;
      let resume = -0.5; // nobody after it: wrap to the start
      for (let i = 0; i < all.length; i++) {
        const r = old.get(all[i]);
        if (r !== undefined && r > lastRank && r < bestOld) {
          bestOld = r;
          resume = i - 0.5;
        }
      }
      this.resumeRank = resume;
    } else if (last !== undefined) {
      this.resumeRank = NaN;
    }
    this.ranks = ranks;
    this.nextRank = all.length;
  }

  public describe(endpoint: Endpoint): Record<string, number | string | undefined> {
    return { rank: this.ranks.get(endpoint), last: endpoint === this.last ? 'yes' : undefined };
  }

  /** Index of the eligible endpoint with the smallest rank after the last pick's, wrapping to the smallest rank. */
  private resumeIndex(endpoints: readonly Endpoint[], last: Endpoint): number {
    const after = Number.isNaN(this.resumeRank) ? this.rankOf(last) : this.resumeRank;
    let next = -1;
    let nextRank = Infinity;
    let first = 0;
    let firstRank = Infinity;
    for (let i = 0; i < endpoints.length; i++) {
      const r = this.rankOf(endpoints[i]);
      if (r > after && r < nextRank) {
        next = i;
        nextRank = r;
      }
      if (r < firstRank) {
        first = i;
        firstRank = r;
      }
    }
    return next >= 0 ? next : first;
  }

  private rankOf(endpoint: Endpoint): number {
    let r = this.ranks.get(endpoint);
    if (r === undefined) {
      r = this.nextRank++;
      this.ranks.set(endpoint, r);
    }
    return r;
  }
}
