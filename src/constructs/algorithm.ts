/**
 * The balancing algorithm, chosen in code. Each factory maps onto one member of the config's `algorithm` union
 * (src/config/algorithm.ts); defaults left out here are filled in by that schema, once.
 */
import { Duration } from 'cdk8s';
import type { AlgorithmInput } from '../config';

/** Options of {@link Algorithm.weightedRoundRobin}. */
export interface WeightedRoundRobinOptions {
  /**
   * Shares of traffic per subset, by subset name, e.g. `{ stable: 90, canary: 10 }`: the same as the app's
   * `trafficSplit` prop (which works with every algorithm; set one of the two). Every subset needs a share, >= 0.
   * @default - no split: one pool of every endpoint, by each endpoint's `weight`
   */
  readonly subsetWeights?: Record<string, number>;
}

/** Options of {@link Algorithm.peakEwma}. */
export interface PeakEwmaOptions {
  /**
   * Time constant of the latency average: older samples weigh e^(-dt/decay).
   * @default Duration.seconds(10)
   */
  readonly decay?: Duration;
  /**
   * Latency assumed for an endpoint with no samples yet.
   * @default - the median of its peers' averages
   */
  readonly defaultRtt?: Duration;
  /**
   * Penalty a failed or 5xx response puts on the endpoint's cost (forgotten with time constant decay / 10), so fast failures do not attract traffic.
   * @default Duration.seconds(1)
   */
  readonly failurePenalty?: Duration;
}

/** Options of {@link Algorithm.consistentHash}: give exactly one of `header`, `cookie` or `sourceIp`. */
export interface ConsistentHashOptions {
  /**
   * Hash on this request header.
   * @default - not hashed on a header
   */
  readonly header?: string;
  /**
   * Hash on this cookie.
   * @default - not hashed on a cookie
   */
  readonly cookie?: string;
  /**
   * Hash on the client's address.
   * @default false
   */
  readonly sourceIp?: boolean;
  /**
   * Bounded load: no endpoint takes more than loadFactor x the average in-flight.
   * @default 1.25
   */
  readonly loadFactor?: number;
  /**
   * Ring points per unit of weight.
   * @default 100
   */
  readonly virtualNodes?: number;
}

/** Options of {@link Algorithm.leastUtilization}. */
export interface LeastUtilizationOptions {
  /**
   * Response header carrying the backend load in [0, 1].
   * @default 'x-backend-load'
   */
  readonly header?: string;
  /**
   * Reports older than this are ignored.
   * @default Duration.seconds(10)
   */
  readonly staleAfter?: Duration;
}

/** The algorithm the proxy balances with. Create one through a static factory. */
export class Algorithm {
  /** Each eligible endpoint in turn. */
  public static roundRobin(): Algorithm {
    return new Algorithm({ kind: 'round-robin' });
  }

  /**
   * Smooth weighted round robin over the endpoints' weights (each subset's `weight`). With `subsetWeights`, a traffic
   * split across subsets first, as the app's `trafficSplit` prop does.
   */
  public static weightedRoundRobin(options: WeightedRoundRobinOptions = {}): Algorithm {
    return new Algorithm({ kind: 'weighted-round-robin' }, undefined, options.subsetWeights && { ...options.subsetWeights });
  }

  /** Uniform random, weighted by endpoint weight. */
  public static random(): Algorithm {
    return new Algorithm({ kind: 'random' });
  }

  /** Lowest in-flight / weight over all endpoints. */
  public static leastConnections(): Algorithm {
    return new Algorithm({ kind: 'least-connections' });
  }

  /** Least request over two distinct random samples. */
  public static powerOfTwoChoices(): Algorithm {
    return new Algorithm({ kind: 'power-of-two-choices' });
  }

  /** Peak EWMA latency x (in-flight + 1) over two distinct samples. */
  public static peakEwma(options: PeakEwmaOptions = {}): Algorithm {
    return new Algorithm({
      kind: 'peak-ewma',
      decayMs: options.decay?.toMilliseconds(),
      defaultRttMs: options.defaultRtt?.toMilliseconds(),
      failurePenaltyMs: options.failurePenalty?.toMilliseconds(),
    });
  }

  /**
   * Consistent hashing with bounded loads. Exactly one key is required; the construct using it fails otherwise.
   * A request without the key (no such header or cookie) has no affinity: it is spread over the
   * endpoints by least request over two random picks, like {@link Algorithm.powerOfTwoChoices}.
   */
  public static consistentHash(options: ConsistentHashOptions): Algorithm {
    const keys = [
      options.header !== undefined ? { source: 'header' as const, name: options.header } : undefined,
      options.cookie !== undefined ? { source: 'cookie' as const, name: options.cookie } : undefined,
      options.sourceIp === true ? { source: 'source-ip' as const } : undefined,
    ].filter((k) => k !== undefined);
    const problem =
      keys.length === 1
        ? undefined
        : `consistentHash needs exactly one key, got ${keys.length}; fix: give one of { header: "x-user" }, { cookie: "session" } or { sourceIp: true }`;
    // An incomplete key is kept as is so that the shared validation reports it too; `problem` makes the message precise.
    const key = keys[0] ?? ({ source: 'header' } as unknown as { source: 'header'; name: string });
    return new Algorithm(
      { kind: 'consistent-hash', key, loadFactor: options.loadFactor, virtualNodes: options.virtualNodes },
      problem,
    );
  }

  /** Lowest backend-reported utilization over two distinct samples. */
  public static leastUtilization(options: LeastUtilizationOptions = {}): Algorithm {
    return new Algorithm({
      kind: 'least-utilization',
      header: options.header,
      staleAfterMs: options.staleAfter?.toMilliseconds(),
    });
  }

  private constructor(
    private readonly config: AlgorithmInput,
    /** A mistake found in the factory's options, reported by the construct that uses it (which knows its path). */
    public readonly problem?: string,
    private readonly split?: Readonly<Record<string, number>>,
  ) {}

  /** The algorithm's kind as written in the config, e.g. `peak-ewma`. */
  public get kind(): AlgorithmInput['kind'] {
    return this.config.kind;
  }

  /** The traffic split `weightedRoundRobin({ subsetWeights })` sets; empty for every other algorithm. */
  public get subsetWeights(): Readonly<Record<string, number>> {
    return { ...(this.split ?? {}) };
  }

  /** The config object, with `undefined` fields left out so the schema's defaults apply. */
  public toConfig(): AlgorithmInput {
    // Not a JSON round trip: NaN and Infinity must reach the validation as written, to be reported as written.
    return Object.fromEntries(Object.entries(this.config).filter(([, v]) => v !== undefined)) as AlgorithmInput;
  }
}
