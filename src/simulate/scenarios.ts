/**
 * The shipped scenarios, as data. Each one is a question a user asks before choosing an algorithm; the docs
 * (docs/choosing-an-algorithm.md, `npm run docs:plots`), the CLI (`--scenario <name>`) and the tests run these same
 * objects. Write your own the same way (see {@link Scenario}).
 */
import type { BackendSpec, Scenario } from './scenario';

const typical = { kind: 'lognormal', medianMs: 10, p99Ms: 30 } as const;

function four(extra: (name: string) => Partial<BackendSpec> = () => ({})): BackendSpec[] {
  return ['b1', 'b2', 'b3', 'b4'].map((name) => ({ name, latency: typical, capacity: 16, ...extra(name) }));
}

/** 1. One backend of four turns 10× slower from 10 s to 30 s (a GC storm, a noisy neighbour), then recovers. */
export const degraded: Scenario = {
  name: 'degraded',
  description: 'four backends (10 ms median, 16 concurrent each) behind 2 proxy replicas, 800 req/s Poisson; b4 is 10x slower from 10 s to 30 s',
  durationMs: 50_000,
  warmupMs: 2_000,
  backends: four((name) => (name === 'b4' ? { events: [{ kind: 'degrade', fromMs: 10_000, toMs: 30_000, latencyFactor: 10 }] } : {})),
  load: { kind: 'open', ratePerSec: 800, arrivals: 'poisson' },
  proxies: 2,
  networkMs: 0.5,
  watch: [{ backend: 'b4', shiftFromMs: 10_000, recoverFromMs: 30_000 }],
};

/** 1b. The same backend instead answers HTTP 500 in 1 ms from 10 s to 30 s: fast failures must not attract traffic. */
export const degradedFastFail: Scenario = {
  ...degraded,
  name: 'degraded-fast-fail',
  description: 'as degraded, but b4 answers HTTP 500 in 1 ms to every request from 10 s to 30 s',
  backends: four((name) => (name === 'b4' ? { failLatencyMs: 1, events: [{ kind: 'degrade', fromMs: 10_000, toMs: 30_000, errorRate: 1 }] } : {})),
};

const bimodalCost = { kind: 'bimodal', fastMs: 5, slowMs: 50, slowShare: 0.1, jitter: 0.2 } as const;
/** 1x, 2x and 4x concurrency: 4 + 8 + 16 slots at a mean cost of 9.5 ms serve 28 / 9.5 ms = 2947 req/s. */
const heteroBackends: BackendSpec[] = [
  { name: 'small', latency: bimodalCost, capacity: 4 },
  { name: 'medium', latency: bimodalCost, capacity: 8 },
  { name: 'large', latency: bimodalCost, capacity: 16 },
];
const HETERO_CAPACITY_RPS = 28 / 0.0095;

function heterogeneous(percent: number): Scenario {
  return {
    name: `heterogeneous-${percent}`,
    description: `backends with 1x, 2x and 4x capacity (4, 8, 16 concurrent; 10% of requests cost 50 ms, the rest 5 ms) at ${percent}% of total capacity, Poisson`,
    durationMs: 30_000,
    warmupMs: 2_000,
    backends: heteroBackends,
    load: { kind: 'open', ratePerSec: Math.round((HETERO_CAPACITY_RPS * percent) / 100), arrivals: 'poisson' },
    networkMs: 0.5,
  };
}

/** 2. Heterogeneous capacity at 70% and at 90% of the total. */
export const heterogeneous70 = heterogeneous(70);
export const heterogeneous90 = heterogeneous(90);

/** 3. Churn: a crash, two new pods that need 30 s to warm up, then a scale-down of two old ones. */
export const churn: Scenario = {
  name: 'churn',
  description:
    'four backends at 600 req/s Poisson; b2 crashes at 10 s; n1 and n2 join at 20 s, 5x slower at first and warm over 30 s; b1 and b3 leave at 60 s',
  durationMs: 80_000,
  warmupMs: 2_000,
  backends: [
    ...four((name) => (name === 'b2' ? { events: [{ kind: 'crash', atMs: 10_000 }] } : name === 'b1' || name === 'b3' ? { leaveAtMs: 60_000 } : {})),
    { name: 'n1', latency: typical, capacity: 16, joinAtMs: 20_000, warmUp: { factor: 5, windowMs: 30_000 } },
    { name: 'n2', latency: typical, capacity: 16, joinAtMs: 20_000, warmUp: { factor: 5, windowMs: 30_000 } },
  ],
  load: { kind: 'open', ratePerSec: 600, arrivals: 'poisson' },
  proxies: 2,
  networkMs: 0.5,
  watch: [
    { backend: 'b2', shiftFromMs: 10_000 },
    { backend: 'n1', recoverFromMs: 20_000, fairShare: 0.2 },
  ],
};

/** How the fast backends of scenario 4 answer; a busy machine widens the tail (see docs/choosing-an-algorithm.md). */
export interface BenchSlowOptions {
  /** Median answer time of the 1 ms backends as the proxy sees it. Default 1.15 (a Node 1 ms timer on a quiet machine). */
  readonly fastMedianMs?: number;
  /** Their 99th percentile. Default 2. */
  readonly fastP99Ms?: number;
}

/**
 * 4. The benchmark's slow mode (bench/proxy/run.sh): Node backends answering after a 1 ms, 1 ms and 20 ms timer, 32
 * closed-loop connections (wrk -c32). A Node timer of 1 ms fires after 1-2 ms; `networkMs` stands for loopback and the
 * work of the proxy and the backend process per request. On a loaded machine the fast backends' tail grows: pass
 * what you measured to see what the algorithms do then.
 */
export function benchSlowScenario(options: BenchSlowOptions = {}): Scenario {
  const fast = { kind: 'lognormal', medianMs: options.fastMedianMs ?? 1.15, p99Ms: options.fastP99Ms ?? 2 } as const;
  const tuned = options.fastMedianMs !== undefined || options.fastP99Ms !== undefined;
  return {
    name: 'bench-slow',
    description: `the bench slow mode: backends at 1 ms, 1 ms and 20 ms (Node timers${tuned ? `; fast median ${fast.medianMs} ms, p99 ${fast.p99Ms} ms` : ''}), 32 closed-loop clients, one proxy`,
    durationMs: 20_000,
    warmupMs: 2_000,
    backends: [
      { name: 'fast1', latency: fast },
      { name: 'fast2', latency: fast },
      { name: 'slow', latency: { kind: 'lognormal', medianMs: 20.5, p99Ms: 22 } },
    ],
    load: { kind: 'closed', clients: 32 },
    networkMs: 1,
  };
}

export const benchSlow: Scenario = benchSlowScenario();

/** Every shipped scenario by name. */
export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  degraded,
  'degraded-fast-fail': degradedFastFail,
  'heterogeneous-70': heterogeneous70,
  'heterogeneous-90': heterogeneous90,
  churn,
  'bench-slow': benchSlow,
};

/** A copy of `scenario` with every time (duration, events, joins, watches, warm-up windows) scaled by `factor`. */
export function scaleTime(scenario: Scenario, factor: number): Scenario {
  const t = (ms: number | undefined) => (ms === undefined ? undefined : ms * factor);
  return {
    ...scenario,
    durationMs: scenario.durationMs * factor,
    warmupMs: t(scenario.warmupMs),
    bucketMs: t(scenario.bucketMs ?? 1000),
    backends: scenario.backends.map((b) => ({
      ...b,
      joinAtMs: t(b.joinAtMs),
      leaveAtMs: t(b.leaveAtMs),
      warmUp: b.warmUp && { ...b.warmUp, windowMs: b.warmUp.windowMs * factor },
      events: b.events?.map((e) =>
        e.kind === 'degrade' ? { ...e, fromMs: e.fromMs * factor, toMs: e.toMs * factor } : { ...e, atMs: e.atMs * factor, recoverAtMs: t(e.recoverAtMs) },
      ),
    })),
    watch: scenario.watch?.map((w) => ({ ...w, shiftFromMs: t(w.shiftFromMs), recoverFromMs: t(w.recoverFromMs) })),
  };
}
