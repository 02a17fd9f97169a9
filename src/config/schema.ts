/**
 * The proxy config file: one zod schema, with the defaults in it.
 *
 * Both sides import this module: the constructs serialize and validate a config before they write it into a
 * ConfigMap, and the proxy validates the same file at startup. It must not import cdk8s or any Node I/O module.
 */
import * as z from 'zod';
import { AlgorithmSchema } from './algorithm';
import { DiscoverySourceSchema } from './discovery';
import { HttpListenerSchema, ListenerSchema } from './listener';
import { host, ms, port } from './primitives';

/** The config format this code understands. Bump it on a breaking change to the file's meaning. */
export const CONFIG_VERSION = 1;

export const UpstreamTlsSchema = z
  .object({
    caFile: z
      .string()
      .min(1)
      .optional()
      .describe('PEM CA bundle the endpoints\' certificates must chain to. Absent: the system\'s CAs.'),
    serverName: z
      .string()
      .min(1)
      .optional()
      .describe('SNI and the name the certificate must carry. Absent: the endpoint\'s host name, or no SNI for an IP.'),
  })
  .strict()
  .describe('Connect to the endpoints over TLS (ALPN h2 for http2 and grpc listeners, http/1.1 otherwise).');

export const UpstreamSchema = z
  .object({
    name: z.string().min(1).default('app'),
    port: port.describe('Port the endpoints listen on, unless an endpoint gives its own.'),
    sources: z.array(DiscoverySourceSchema).min(1),
    trafficSplit: z
      .record(z.string().min(1), z.number().min(0).finite())
      .optional()
      .describe(
        'Share of requests per subset, whatever its endpoint count: relative weights >= 0, one per declared subset, ' +
          'e.g. { stable: 90, canary: 10 }. A pick draws the subset by these weights, then the endpoint inside it ' +
          'with the algorithm. A subset at 0 gets no new requests. Absent: one pool of every endpoint.',
      ),
    tls: UpstreamTlsSchema.optional(),
  })
  .strict();

export const HealthCheckSchema = z
  .object({
    path: z.string().startsWith('/').default('/').describe('HTTP listeners: the path a GET must answer 2xx on.'),
    grpcService: z
      .string()
      .optional()
      .describe('grpc listener: the service in grpc.health.v1.Health/Check; absent or "": the server as a whole.'),
    intervalMs: ms.default(5_000),
    timeoutMs: ms.default(1_000),
    healthyThreshold: z.number().int().min(1).default(2),
    unhealthyThreshold: z.number().int().min(1).default(3),
  })
  .strict();

export const OutlierDetectionSchema = z
  .object({
    consecutiveFailures: z
      .number()
      .int()
      .min(1)
      .default(5)
      .describe('Consecutive 5xx responses or connect failures that eject an endpoint.'),
    baseEjectionMs: ms.default(30_000).describe('First ejection time; doubles with each further ejection.'),
    maxEjectionMs: ms.default(300_000),
    maxEjectionPercent: z
      .number()
      .min(0)
      .max(100)
      .default(50)
      .describe('Most endpoints ejected at once, in percent; at least one may always be ejected.'),
    probeAfterMs: ms
      .default(5_000)
      .describe('An ejected endpoint gets one real request (a probe) after this long; a success returns it early.'),
  })
  .strict();

export const RetryBudgetSchema = z
  .object({
    ratio: z.number().min(0).max(1).default(0.2).describe('Retries as a share of live requests.'),
    minRetriesPerSecond: z.number().min(0).default(10),
  })
  .strict();

export const RetriesSchema = z
  .object({
    attempts: z.number().int().min(0).max(5).default(2).describe('Retries after the first try, each on another endpoint.'),
    retryOn: z
      .array(z.enum(['connect-failure', 'reset', '502', '503', '504', 'unavailable']))
      .default(['connect-failure', 'reset', '502', '503', '504', 'unavailable'])
      .describe(
        'What a retry follows. unavailable: gRPC status UNAVAILABLE, retried only while no response message reached ' +
          'the client. A stream the endpoint refused unprocessed (REFUSED_STREAM, past a GOAWAY) counts as connect-failure.',
      ),
    budget: RetryBudgetSchema.default({ ratio: 0.2, minRetriesPerSecond: 10 }),
  })
  .strict();

export const TimeoutsSchema = z
  .object({
    connectMs: ms.default(1_000),
    requestMs: ms
      .default(30_000)
      .describe('Time the endpoint has to send its response head once the whole request was sent; bodies have idleMs.'),
    idleMs: ms
      .default(60_000)
      .describe('A body that makes no progress this long is cut; idle upstream keep-alive connections are closed after it.'),
    clientIdleMs: ms.default(65_000).describe('Downstream keep-alive idle timeout.'),
    headersMs: ms.default(10_000).describe('Time a client has to send complete request headers.'),
  })
  .strict();

export const LimitsSchema = z
  .object({
    maxInFlight: z.number().int().min(1).default(10_000),
    maxInFlightPerEndpoint: z.number().int().min(1).default(1_000),
    maxIdlePerEndpoint: z
      .number()
      .int()
      .min(0)
      .default(64)
      .describe('Most idle keep-alive connections kept open to one endpoint.'),
    maxQueue: z.number().int().min(0).default(1_000),
    queueTimeoutMs: ms.default(1_000),
    maxRequestHeaderBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
    maxConcurrentStreams: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(128)
      .describe('HTTP/2: most open streams per client connection (SETTINGS_MAX_CONCURRENT_STREAMS).'),
    retryBufferBytes: z
      .number()
      .int()
      .min(0)
      .max(16_777_216)
      .default(65_536)
      .describe('A request body up to this size is kept until the answer starts, so a refused or UNAVAILABLE try can go again.'),
  })
  .strict();

export const SlowStartSchema = z
  .object({
    windowMs: ms.describe('How long a new or recovered endpoint ramps up to its full share.'),
    aggression: z
      .number()
      .positive()
      .finite()
      .default(1)
      .describe('Shape of the ramp: share factor (t / window)^(1 / aggression); 1 is linear, above 1 ramps faster early.'),
    minWeightPercent: z
      .number()
      .min(1)
      .max(100)
      .default(10)
      .describe('Share factor at the start of the ramp, in percent, so a new endpoint is not starved of samples.'),
  })
  .strict()
  .describe(
    "Envoy's slow start: an endpoint added after the first discovery, back from ejection or from failing health " +
      'checks takes a growing share of new requests over windowMs. Not applied while every endpoint is ramping (a first start).',
  );

export const ZoneAwareSchema = z
  .object({
    zone: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The proxy's own zone. Absent: env LB_ZONE, else learned from the EndpointSlices: the zone of an endpoint on " +
          'the same node (env NODE_NAME). Unknown: no zone preference.',
      ),
  })
  .strict()
  .describe(
    'Prefer endpoints in the proxy\'s zone (or hinted for it by hints.forZones) while they have headroom: with a share ' +
      'of the local endpoints ejected or failing, that share of requests spills over every eligible endpoint.',
  );

export const AdminSchema = z
  .object({
    host: host.default('0.0.0.0'),
    port: port.default(9901),
  })
  .strict();

export const LoggingSchema = z
  .object({
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    accessLog: z.boolean().default(false),
  })
  .strict();

export const ProxyConfigSchema = z
  .object({
    version: z.literal(CONFIG_VERSION).describe('Config format version; a proxy refuses versions it does not know.'),
    listener: ListenerSchema.default(HttpListenerSchema.parse({})),
    admin: AdminSchema.default({ host: '0.0.0.0', port: 9901 }),
    upstream: UpstreamSchema,
    algorithm: AlgorithmSchema.default({ kind: 'round-robin' }),
    healthCheck: HealthCheckSchema.optional().describe('Active HTTP checks; off when absent.'),
    outlierDetection: OutlierDetectionSchema.default(OutlierDetectionSchema.parse({})),
    panicThresholdPercent: z
      .number()
      .min(0)
      .max(100)
      .default(50)
      .describe('Below this share of healthy endpoints, balance over all of them (panic mode).'),
    retries: RetriesSchema.default(RetriesSchema.parse({})),
    timeouts: TimeoutsSchema.default(TimeoutsSchema.parse({})),
    limits: LimitsSchema.default(LimitsSchema.parse({})),
    shutdownDelayMs: z
      .number()
      .int()
      .min(0)
      .default(5_000)
      .describe('On SIGTERM, keep accepting (not ready) this long before closing the listener, while endpoints update.'),
    drainMs: ms.default(20_000).describe('On SIGTERM, after shutdownDelayMs, time in-flight requests get to finish.'),
    logging: LoggingSchema.default({ level: 'info', accessLog: false }),
    slowStart: SlowStartSchema.optional(),
    zoneAware: ZoneAwareSchema.optional(),
  })
  .strict();

/** A validated, defaulted proxy config: what the proxy runs on. */
export type ProxyConfig = z.output<typeof ProxyConfigSchema>;
/** What a user or a construct may write: defaults may be left out. */
export type ProxyConfigInput = z.input<typeof ProxyConfigSchema>;
export type UpstreamTlsConfig = z.output<typeof UpstreamTlsSchema>;
export type HealthCheckConfig = z.output<typeof HealthCheckSchema>;
export type OutlierDetectionConfig = z.output<typeof OutlierDetectionSchema>;
export type RetriesConfig = z.output<typeof RetriesSchema>;
export type SlowStartConfig = z.output<typeof SlowStartSchema>;
export type TimeoutsConfig = z.output<typeof TimeoutsSchema>;
export type LimitsConfig = z.output<typeof LimitsSchema>;
