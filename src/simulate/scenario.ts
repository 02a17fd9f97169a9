/**
 * What a simulation runs: backends, the load, the proxy replicas and the moments worth watching. Plain data, so a
 * scenario can be written in TypeScript, kept in a test, or shipped (see scenarios.ts). All times are milliseconds of
 * virtual time from the start of the run.
 */
import * as z from 'zod';

/** A request's service time at a backend. */
export type LatencyModel =
  | { readonly kind: 'fixed'; readonly ms: number }
  /** Lognormal, given by its median and its 99th percentile (sigma = ln(p99 / median) / 2.326). */
  | { readonly kind: 'lognormal'; readonly medianMs: number; readonly p99Ms: number }
  /** Two request costs: `slowShare` of the requests take `slowMs`, the others `fastMs`; each with ±`jitter` spread. */
  | { readonly kind: 'bimodal'; readonly fastMs: number; readonly slowMs: number; readonly slowShare: number; readonly jitter?: number };

/** Something that happens to a backend during the run. */
export type BackendEvent =
  /** From `fromMs` to `toMs`, latency × `latencyFactor`, and `errorRate` of the answers are errors (fast, see below). */
  | {
      readonly kind: 'degrade';
      readonly fromMs: number;
      readonly toMs: number;
      readonly latencyFactor?: number;
      readonly errorRate?: number;
    }
  /** The backend's process dies at `atMs`: in-flight requests are reset, connects are refused until `recoverAtMs`. */
  | { readonly kind: 'crash'; readonly atMs: number; readonly recoverAtMs?: number };

export interface BackendSpec {
  /** Unique within the scenario; reports and plots use it. */
  readonly name: string;
  readonly latency: LatencyModel;
  /** Requests served at once; more wait in the backend's own FIFO queue. Default: unlimited. */
  readonly capacity?: number;
  /** Endpoint weight the proxy sees. Default 1. */
  readonly weight?: number;
  /** Share of answers that are errors, all the time (events can raise it). Default 0. */
  readonly errorRate?: number;
  /** How fast an error answer comes (a fast failure). Default 1. */
  readonly failLatencyMs?: number;
  /** Status of an error answer. Default 500. */
  readonly errorStatus?: number;
  /** When the backend joins the endpoint set. Default 0. */
  readonly joinAtMs?: number;
  /** When it leaves the endpoint set (scale-down); what it already has finishes. Default: never. */
  readonly leaveAtMs?: number;
  /** Cold start: latency × `factor` when it joins (or recovers), decaying linearly to × 1 over `windowMs`. */
  readonly warmUp?: { readonly factor: number; readonly windowMs: number };
  readonly events?: readonly BackendEvent[];
}

export type LoadSpec =
  /** Open loop: arrivals at a rate, whatever the answers do (so queueing cannot hide, no coordinated omission). */
  | { readonly kind: 'open'; readonly ratePerSec: number; readonly arrivals?: 'poisson' | 'constant' }
  /** Closed loop: `clients` each send a request, wait for its answer and `thinkMs`, and send the next. */
  | { readonly kind: 'closed'; readonly clients: number; readonly thinkMs?: number };

/** A backend to judge: how fast the algorithm moves off it, and how soon it gets its fair share again. */
export interface Watch {
  readonly backend: string;
  /** From here on, the time until its share drops below 5% is the "time to shift away". */
  readonly shiftFromMs?: number;
  /** From here on, the time until its share is within ±10% of `fairShare` is the "time to recover". */
  readonly recoverFromMs?: number;
  /** Its fair share once recovered, in [0, 1]. Default: an equal share of the backends in the set at that time. */
  readonly fairShare?: number;
}

export interface Scenario {
  /** Short name, used by the CLI (`--scenario`) and in file names. */
  readonly name: string;
  readonly description: string;
  readonly durationMs: number;
  /** Requests that arrive before this are served but left out of the latency figures. Default 0. */
  readonly warmupMs?: number;
  readonly backends: readonly BackendSpec[];
  readonly load: LoadSpec;
  /** Proxy replicas, each with its own balancer state and local view; load is spread evenly over them. Default 1. */
  readonly proxies?: number;
  /** Round trip added to every try (network and proxy work), in ms. Default 0. */
  readonly networkMs?: number;
  /** The round trip as a distribution instead (a busy proxy's event loop is not a constant); overrides networkMs. */
  readonly network?: LatencyModel;
  /** Width of one bucket of the share-over-time series. Default 1000. */
  readonly bucketMs?: number;
  readonly watch?: readonly Watch[];
  /** Default seed; `simulate(..., { seed })` overrides it. Default 1. */
  readonly seed?: number;
}

const nonNeg = z.number().finite().nonnegative();
const pos = z.number().finite().positive();
const share = z.number().min(0).max(1);

const LatencySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), ms: nonNeg }).strict(),
  z
    .object({ kind: z.literal('lognormal'), medianMs: pos, p99Ms: pos })
    .strict()
    .refine((l) => l.p99Ms >= l.medianMs, { message: 'p99Ms must be at least medianMs' }),
  z.object({ kind: z.literal('bimodal'), fastMs: nonNeg, slowMs: nonNeg, slowShare: share, jitter: share.optional() }).strict(),
]);

const EventSchema = z.discriminatedUnion('kind', [
  z
    .object({ kind: z.literal('degrade'), fromMs: nonNeg, toMs: nonNeg, latencyFactor: pos.optional(), errorRate: share.optional() })
    .strict()
    .refine((e) => e.toMs > e.fromMs, { message: 'toMs must be after fromMs' }),
  z.object({ kind: z.literal('crash'), atMs: nonNeg, recoverAtMs: nonNeg.optional() }).strict(),
]);

const BackendSchema = z
  .object({
    name: z.string().min(1),
    latency: LatencySchema,
    capacity: z.number().int().min(1).optional(),
    weight: pos.optional(),
    errorRate: share.optional(),
    failLatencyMs: nonNeg.optional(),
    errorStatus: z.number().int().min(500).max(599).optional(),
    joinAtMs: nonNeg.optional(),
    leaveAtMs: nonNeg.optional(),
    warmUp: z.object({ factor: z.number().min(1), windowMs: pos }).strict().optional(),
    events: z.array(EventSchema).optional(),
  })
  .strict();

const LoadSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('open'), ratePerSec: pos, arrivals: z.enum(['poisson', 'constant']).optional() }).strict(),
  z.object({ kind: z.literal('closed'), clients: z.number().int().min(1), thinkMs: nonNeg.optional() }).strict(),
]);

const ScenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes'),
    description: z.string(),
    durationMs: pos,
    warmupMs: nonNeg.optional(),
    backends: z.array(BackendSchema).min(1),
    load: LoadSchema,
    proxies: z.number().int().min(1).max(64).optional(),
    networkMs: nonNeg.optional(),
    network: LatencySchema.optional(),
    bucketMs: pos.optional(),
    watch: z
      .array(z.object({ backend: z.string(), shiftFromMs: nonNeg.optional(), recoverFromMs: nonNeg.optional(), fairShare: share.optional() }).strict())
      .optional(),
    seed: z.number().int().optional(),
  })
  .strict();

/** Thrown for a scenario that cannot run; the message names the field, the value and the fix. */
export class ScenarioError extends Error {
  public readonly code = 'LB_SCENARIO_INVALID';
}

/** Checks a scenario before a run; throws a {@link ScenarioError} that names every problem. */
export function checkScenario(scenario: Scenario): void {
  const label = typeof scenario?.name === 'string' ? `scenario "${scenario.name}"` : 'scenario';
  const parsed = ScenarioSchema.safeParse(scenario);
  const problems: string[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message} (got ${show(valueAt(scenario, i.path))})`);
  if (parsed.success) {
    const names = new Set<string>();
    scenario.backends.forEach((b, i) => {
      if (names.has(b.name)) problems.push(`backends.${i}.name: "${b.name}" is used twice; give each backend its own name`);
      names.add(b.name);
      if (b.leaveAtMs !== undefined && b.leaveAtMs <= (b.joinAtMs ?? 0)) problems.push(`backends.${i}.leaveAtMs: must be after joinAtMs (got ${b.leaveAtMs})`);
    });
    (scenario.watch ?? []).forEach((w, i) => {
      if (!names.has(w.backend)) problems.push(`watch.${i}.backend: no backend is named "${w.backend}"; the backends are ${[...names].join(', ')}`);
    });
  }
  if (problems.length > 0) {
    throw new ScenarioError(`LB_SCENARIO_INVALID: ${label}: ${problems.join('; ')}; fix: correct the field(s) named (all times are in ms, shares in [0, 1])`);
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
