/**
 * The balancing algorithms, as serialized in the proxy config.
 *
 * One discriminated union on `kind`. The constructs write these objects; the proxy's balancer factory switches on
 * `kind` exhaustively. Parameters carry their defaults here, once, so both sides agree on them.
 */
import * as z from 'zod';

const positiveMs = (what: string) => z.number().int().positive().describe(what);

export const RoundRobinSchema = z
  .object({ kind: z.literal('round-robin') })
  .strict()
  .describe('Each eligible endpoint in turn.');

export const WeightedRoundRobinSchema = z
  .object({ kind: z.literal('weighted-round-robin') })
  .strict()
  .describe(
    "Smooth weighted round robin (nginx's) over endpoint weights: current += weight, pick the max, subtract the total.",
  );

export const RandomSchema = z
  .object({ kind: z.literal('random') })
  .strict()
  .describe('Uniform random, weighted by endpoint weight.');

export const LeastConnectionsSchema = z
  .object({ kind: z.literal('least-connections') })
  .strict()
  .describe('Full scan for the lowest in-flight / weight; ties broken at random.');

export const PowerOfTwoChoicesSchema = z
  .object({ kind: z.literal('power-of-two-choices') })
  .strict()
  .describe('Least request over two distinct random samples (Mitzenmacher, "The Power of Two Choices").');

export const PeakEwmaSchema = z
  .object({
    kind: z.literal('peak-ewma'),
    decayMs: positiveMs('Time constant of the latency average: older samples weigh e^(-dt/decay).').default(10_000),
    defaultRttMs: z
      .number()
      .positive()
      .optional()
      .describe("Seed for an endpoint with no samples yet; by default the median of its peers' averages."),
    failurePenaltyMs: z
      .number()
      .nonnegative()
      .default(1_000)
      .describe('Latency recorded for a failed or 5xx response, so fast failures do not attract traffic.'),
  })
  .strict()
  .describe("Peak EWMA latency x (in-flight + 1) over two distinct samples (Finagle's / linkerd's load metric).");

export const HashKeySchema = z
  .discriminatedUnion('source', [
    z.object({ source: z.literal('header'), name: z.string().min(1) }).strict(),
    z.object({ source: z.literal('cookie'), name: z.string().min(1) }).strict(),
    z.object({ source: z.literal('source-ip') }).strict(),
  ])
  .describe('What the request is hashed on.');

export const ConsistentHashSchema = z
  .object({
    kind: z.literal('consistent-hash'),
    key: HashKeySchema,
    loadFactor: z
      .number()
      .min(1)
      .default(1.25)
      .describe('Bounded load: no endpoint takes more than loadFactor x the average in-flight (Mirrokni et al. 2018).'),
    virtualNodes: z.number().int().min(1).max(1000).default(100).describe('Ring points per unit of weight.'),
  })
  .strict()
  .describe('Consistent hashing on a ring with bounded loads.');

export const LeastUtilizationSchema = z
  .object({
    kind: z.literal('least-utilization'),
    header: z
      .string()
      .min(1)
      .default('x-backend-load')
      .describe(
        'Response header carrying the backend load in [0, 1]; "endpoint-load-metrics" reads the ORCA text form.',
      ),
    staleAfterMs: positiveMs('Reports older than this are ignored and the endpoint counts as unreported.').default(
      10_000,
    ),
  })
  .strict()
  .describe('Lowest backend-reported utilization over two distinct samples; in-flight breaks ties.');

export const AlgorithmSchema = z.discriminatedUnion('kind', [
  RoundRobinSchema,
  WeightedRoundRobinSchema,
  RandomSchema,
  LeastConnectionsSchema,
  PowerOfTwoChoicesSchema,
  PeakEwmaSchema,
  ConsistentHashSchema,
  LeastUtilizationSchema,
]);

export type AlgorithmConfig = z.output<typeof AlgorithmSchema>;
export type AlgorithmInput = z.input<typeof AlgorithmSchema>;
export type AlgorithmKind = AlgorithmConfig['kind'];
export type HashKey = z.output<typeof HashKeySchema>;

export const ALGORITHM_KINDS: readonly AlgorithmKind[] = AlgorithmSchema.options.map((o) => o.shape.kind.value);
