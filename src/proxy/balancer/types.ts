/**
 * The contract between the balancing algorithms and the rest of the proxy.
 *
 * An algorithm only picks. The pool owns the plumbing (connections, queue, in-flight counting, health); it hands
 * `pick()` the endpoints that are eligible right now and reports each outcome back through `onResult()`.
 * Algorithms never open sockets, set timers or log: randomness and time come in through {@link BalancerDeps}.
 */

/** One backend address. Identity is `id` (`address:port`); the pool keeps one object per id for its lifetime. */
export interface Endpoint {
  readonly id: string;
  readonly address: string;
  readonly port: number;
  /** Effective weight (> 0), after subset weights are applied. */
  readonly weight: number;
  readonly subset: string;
  /** Requests sent and not yet finished. Maintained by the pool, read by algorithms. */
  inFlight: number;
}

/** What a request brings to a pick. */
export interface PickContext {
  /** The request's hash key, already extracted (consistent hashing only); absent when the request has none. */
  readonly hashKey?: string;
}

/** What the pool reports after each upstream try. */
export interface Outcome {
  /** False for connect failures, resets, timeouts and 5xx responses. */
  readonly ok: boolean;
  /** HTTP status, absent when no response arrived. */
  readonly status?: number;
  /** Time from sending the request to the response headers (or to the failure), in ms. */
  readonly latencyMs: number;
  /** Backend-reported utilization in [0, 1], when the response carried one. */
  readonly loadReport?: number;
}

export interface Balancer {
  /** Picks one of `endpoints` (all eligible, never empty when called by the pool); undefined only for an empty list. */
  pick(endpoints: readonly Endpoint[], ctx: PickContext): Endpoint | undefined;
  /** Feedback after a try finished. */
  onResult(endpoint: Endpoint, outcome: Outcome): void;
  /** The endpoint set changed (added or removed). Algorithms with per-set state (rings, rotations) rebuild here. */
  onEndpointsChanged(all: readonly Endpoint[]): void;
  /** A JSON-able view of per-endpoint state for the admin dump (EWMA, reported load...). */
  describe(endpoint: Endpoint): Record<string, number | string | undefined>;
}

export interface BalancerDeps {
  /** Uniform in [0, 1). Tests pass a seeded generator. */
  readonly random: () => number;
  /** Milliseconds, monotonic. Tests pass a fake clock. */
  readonly now: () => number;
}
