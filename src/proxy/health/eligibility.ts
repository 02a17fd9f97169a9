/**
 * Which endpoints a pick may choose from.
 *
 * The base list is the endpoints that pass active checks and are not ejected, in the set's own order (round robin
 * relies on a stable order). When fewer than panicThresholdPercent of all endpoints are in it, the base list is all
 * of them (envoy's panic mode): spreading load over possibly bad hosts beats crushing the few good ones.
 *
 * The base list is cached and rebuilt only when the set or a health verdict changes, or when an ejection ends; a
 * request filters it further (per-endpoint limit, endpoints it already tried) only when that removes something.
 */
import type { UpstreamEndpoint } from '../discovery/endpoint-set';

export class Eligibility {
  private cached: readonly UpstreamEndpoint[] = [];
  private cachedVersion = -1;
  private validUntil = 0;
  private healthVersion = 0;
  public panic = false;
  /** An ejected endpoint whose probe time has come, found while building the base list. */
  private probeDue: UpstreamEndpoint | undefined;
  public healthyCount = 0;

  public constructor(
    private readonly source: { all(): readonly UpstreamEndpoint[]; readonly version: number },
    private readonly panicThresholdPercent: number,
    private readonly now: () => number,
  ) {}

  /** Call when an active check or an ejection changes a verdict. */
  public invalidate(): void {
    this.healthVersion++;
  }

  public base(): readonly UpstreamEndpoint[] {
    const version = this.source.version * 1_000_003 + this.healthVersion;
    // No ejection pending: the clock cannot change the answer, so the common case reads no clock.
    if (version === this.cachedVersion && (this.validUntil === Infinity || this.now() < this.validUntil)) return this.cached;
    const now = this.now();
    const every = this.source.all();
    // Terminating endpoints (serving while they shut down) are a last resort: left out while any other is there.
    let all = every;
    for (const e of every) {
      if (e.terminating) {
        const active = every.filter((x) => !x.terminating);
        if (active.length > 0) all = active;
        break;
      }
    }
    const good: UpstreamEndpoint[] = [];
    let nextExpiry = Infinity;
    this.probeDue = undefined;
    for (const e of all) {
      if (e.ejectedUntil > now) {
        const next = e.probing || e.probeAt > e.ejectedUntil ? e.ejectedUntil : e.probeAt;
        if (!e.probing && e.probeAt <= now && e.healthy) this.probeDue ??= e;
        else if (next < nextExpiry) nextExpiry = next;
      } else if (e.healthy) {
        good.push(e);
      }
    }
    this.healthyCount = good.length;
    this.panic = all.length > 0 && (good.length * 100) / all.length < this.panicThresholdPercent;
    this.cached = this.panic ? all : good;
    this.cachedVersion = version;
    this.validUntil = nextExpiry;
    return this.cached;
  }

  /** An ejected endpoint due for a probe request, if any (reads the clock only while ejections are pending). */
  public probeCandidate(): UpstreamEndpoint | undefined {
    this.base();
    const p = this.probeDue;
    if (p === undefined) return undefined;
    if (p.probing || p.ejectedUntil <= this.now()) {
      this.probeDue = undefined;
      return undefined;
    }
    this.probeDue = undefined;
    this.healthVersion++; // the next base() looks again, after this probe is marked
    return p;
  }

  /**
   * The endpoints one try may use: the base list minus endpoints at their in-flight limit and minus `tried`.
   * Returns the cached array itself when nothing is filtered out, so the common case allocates nothing.
   */
  public forTry(maxPerEndpoint: number, tried: readonly UpstreamEndpoint[] | undefined): readonly UpstreamEndpoint[] {
    const base = this.base();
    let filter = false;
    for (const e of base) {
      if (e.inFlight >= maxPerEndpoint || (tried !== undefined && tried.includes(e))) {
        filter = true;
        break;
      }
    }
    if (!filter) return base;
    return base.filter((e) => e.inFlight < maxPerEndpoint && (tried === undefined || !tried.includes(e)));
  }
}
