/**
 * Peak EWMA: power of two choices on cost = latency estimate × (inFlight + 1) / weight.
 *
 * From Finagle's PeakEwma balancer node (finagle-core, com.twitter.finagle.loadbalancer), described in Jenson and
 * Oanta, "Beyond Round Robin: Load Balancing for Latency" (Buoyant, 2016); tower's PeakEwma and linkerd2-proxy use the
 * same estimator. Each endpoint keeps an exponentially weighted moving average of its response time, except that
 * it is *peak-sensitive*: a sample above the average replaces it outright, so one slow response is felt at once while
 * recovery is gradual. For a sample x observed dt ms after the previous update, with time constant τ = decayMs:
 *
 *   if x > ewma:  ewma = x
 *   else:         w = exp(-dt / τ);  ewma = ewma × w + x × (1 − w)
 *
 * The weight depends on elapsed time, not on the number of samples, so a busy endpoint and a quiet one forget at the
 * same rate. When comparing, the stored value is decayed towards zero to the present, ewma × exp(-(now − t) / τ) (the
 * read side of Finagle's and tower's estimators): an endpoint that was slow and then starved of traffic looks cheaper
 * as its evidence ages, is eventually sampled again, and either proves itself or jumps back up.
 *
 * Failures (outcome.ok false: connect errors, resets, timeouts, 5xx) set a separate *penalty* of failurePenaltyMs, and
 * the cost uses max(latency estimate, penalty), so a backend that answers 500 in 1 ms looks slow rather than fast and
 * does not attract traffic (ingress-nginx#9882). The penalty is forgotten ten times faster than latency (time constant
 * decayMs / 10, 1 s by default), and the failure's own latency still feeds the latency average. Before, the penalty
 * went into the latency average itself: a backend that had failed and then recovered kept a 1000 ms estimate that
 * took ln(1000 / peers' cost) × decayMs (about 45 s at the defaults) to age, and was starved all that time
 * (traefik#12306); the simulator's degraded-fast-fail scenario shows both (docs/choosing-an-algorithm.md). While a
 * backend keeps failing, each failure renews the penalty, so it is tried again only every few seconds.
 *
 * Cold start: an endpoint with no samples starts at `defaultRttMs` when configured, else at the median of its peers'
 * current estimates (so it is neither flooded as Finagle's zero start does, nor starved), else at COLD_START_RTT_MS
 * when no peer has a sample either (then every endpoint is equally unknown). The seed is a placeholder, not evidence:
 * the first real sample replaces it.
 *
 * Weight: the cost is divided by endpoint.weight, so an endpoint of weight 2 carries twice the queue at the same
 * latency before it looks as expensive (Finagle and linkerd ignore weights; the pool's weights should still count).
 *
 * The two samples are distinct (see power-of-two-choices.ts); a tie goes to the first, which is uniform.
 */
import { medianInPlace, otherIndex, pruneStates, randomIndex } from './shared';
import type { Balancer, BalancerDeps, Endpoint, Outcome, PickContext } from './types';

/** Seed when neither the config nor any peer offers one. Small, so unknown endpoints get explored early. */
export const COLD_START_RTT_MS = 1;

/** The failure penalty's time constant is decayMs divided by this. */
export const PENALTY_DECAY_RATIO = 10;

export interface PeakEwmaOptions {
  readonly decayMs: number;
  readonly defaultRttMs?: number;
  readonly failurePenaltyMs: number;
}

interface EwmaState {
  ewmaMs: number;
  updatedAt: number;
  samples: number;
  /** The failure penalty as of penaltyAt (0: none). */
  penaltyMs: number;
  penaltyAt: number;
}

export class PeakEwmaBalancer implements Balancer {
  private readonly states = new Map<Endpoint, EwmaState>();
  private readonly scratch: number[] = [];

  public constructor(
    private readonly options: PeakEwmaOptions,
    private readonly deps: BalancerDeps,
  ) {}

  public pick(endpoints: readonly Endpoint[], _ctx: PickContext): Endpoint | undefined {
    const n = endpoints.length;
    if (n <= 1) return endpoints[0];
    const i = randomIndex(n, this.deps.random);
    const a = endpoints[i];
    const b = endpoints[otherIndex(n, i, this.deps.random)];
    const now = this.deps.now();
    return this.cost(b, now) < this.cost(a, now) ? b : a;
  }

  public onResult(endpoint: Endpoint, outcome: Outcome): void {
    const now = this.deps.now();
    const s = this.stateOf(endpoint, now);
    const x = outcome.latencyMs >= 0 ? outcome.latencyMs : 0; // also turns NaN into 0
    if (!outcome.ok) {
      s.penaltyMs = this.options.failurePenaltyMs;
      s.penaltyAt = now;
    }
    if (s.samples === 0 || x > s.ewmaMs) {
      s.ewmaMs = x;
    } else {
      const dt = now - s.updatedAt;
      const w = dt > 0 ? Math.exp(-dt / this.options.decayMs) : 1;
      s.ewmaMs = s.ewmaMs * w + x * (1 - w);
    }
    s.updatedAt = now;
    s.samples++;
  }

  public onEndpointsChanged(all: readonly Endpoint[]): void {
    pruneStates(this.states, all);
    const now = this.deps.now();
    for (let i = 0; i < all.length; i++) this.stateOf(all[i], now);
  }

  public describe(endpoint: Endpoint): Record<string, number | string | undefined> {
    const s = this.states.get(endpoint);
    if (s === undefined) return { ewmaMs: undefined, samples: 0 };
    const now = this.deps.now();
    return {
      ewmaMs: this.latency(s, now),
      penaltyMs: this.penalty(s, now),
      samples: s.samples,
      lastSampleAgeMs: s.samples > 0 ? now - s.updatedAt : undefined,
      cost: (this.estimate(s, now) * (endpoint.inFlight + 1)) / endpoint.weight,
    };
  }

  private cost(endpoint: Endpoint, now: number): number {
    return (this.estimate(this.stateOf(endpoint, now), now) * (endpoint.inFlight + 1)) / endpoint.weight;
  }

  /** What the cost is built on: the latency estimate, or the failure penalty while that is higher. */
  private estimate(s: EwmaState, now: number): number {
    const latency = this.latency(s, now);
    return s.penaltyMs > latency ? Math.max(latency, this.penalty(s, now)) : latency;
  }

  /** The stored average decayed towards zero from its last update to `now`. */
  private latency(s: EwmaState, now: number): number {
    const dt = now - s.updatedAt;
    return dt > 0 ? s.ewmaMs * Math.exp(-dt / this.options.decayMs) : s.ewmaMs;
  }

  /** The failure penalty decayed towards zero, ten times faster than latency. */
  private penalty(s: EwmaState, now: number): number {
    const dt = now - s.penaltyAt;
    return dt > 0 ? s.penaltyMs * Math.exp((-dt * PENALTY_DECAY_RATIO) / this.options.decayMs) : s.penaltyMs;
  }

  private stateOf(endpoint: Endpoint, now: number): EwmaState {
    let s = this.states.get(endpoint);
    if (s === undefined) {
      s = { ewmaMs: this.seed(now), updatedAt: now, samples: 0, penaltyMs: 0, penaltyAt: now };
      this.states.set(endpoint, s);
    }
    return s;
  }

  private seed(now: number): number {
    if (this.options.defaultRttMs !== undefined) return this.options.defaultRttMs;
    const values = this.scratch;
    values.length = 0;
    for (const s of this.states.values()) {
      if (s.samples > 0) values.push(this.latency(s, now));
    }
    return medianInPlace(values) ?? COLD_START_RTT_MS;
  }
}
