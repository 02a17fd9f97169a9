/**
 * The one table of defaults of the constructs, keyed like the props they fill: `DEFAULTS.<Interface>.<prop>`.
 * test/constructs/defaults.test.ts holds every `@default` doc comment against it.
 *
 * What the proxy config also knows (ports, drain, health checks, algorithm parameters) is read from the config
 * schema's own defaults here, never written again, so the constructs and the proxy cannot drift apart.
 */
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  CONFIG_VERSION,
  ConsistentHashSchema,
  DnsSourceSchema,
  HealthCheckSchema,
  LeastUtilizationSchema,
  ListenerTlsSchema,
  PeakEwmaSchema,
  ProxyConfigSchema,
} from '../../config';
import { SlowStartSchema } from '../../config/schema';
import { Algorithm } from '../algorithm';
import { Discovery } from '../discovery';
import { ExternalTrafficPolicy, SessionAffinity, TlsVersion, UnhealthyPodEvictionPolicy } from '../enums';
import { Protocol } from '../protocol';
import { WorkloadKind } from '../workload-kind';

/** The config's defaults: a minimal config, parsed. */
const CONFIG = ProxyConfigSchema.parse({ version: CONFIG_VERSION, upstream: { port: 1, sources: [{ kind: 'dns', hostname: 'x' }] } });
const SLOW_START = SlowStartSchema.parse({ windowMs: 1 });
const DNS_SOURCE = DnsSourceSchema.parse({ kind: 'dns', hostname: 'x' });
const HEALTH = HealthCheckSchema.parse({});
const LISTENER_TLS = ListenerTlsSchema.parse({ certFile: 'x', keyFile: 'x' });
const PEAK_EWMA = PeakEwmaSchema.parse({ kind: 'peak-ewma' });
const HASH = ConsistentHashSchema.parse({ kind: 'consistent-hash', key: { source: 'source-ip' } });
const UTILIZATION = LeastUtilizationSchema.parse({ kind: 'least-utilization' });
const ms = Duration.millis;

/** Small explicit requests and a memory limit, no CPU limit (throttling hurts tail latency); the user's numbers win. */
const APP_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
};

/**
 * Measured (bench/proxy/README.md): about 60 MB idle and 100-115 MB at peak under a saturating load, so the limit
 * leaves headroom above the peak instead of OOM-killing a busy proxy.
 */
const PROXY_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(50) },
  memory: { request: Size.mebibytes(64), limit: Size.mebibytes(192) },
};

export const DEFAULTS = {
  LoadBalancedAppProps: {
    clusterDomain: 'cluster.local',
    workload: WorkloadKind.deployment(),
    replicas: 2,
    maxSurge: 1,
    maxUnavailable: 0,
    revisionHistoryLimit: 5,
    algorithm: Algorithm.roundRobin(),
    protocol: Protocol.http(),
    discovery: Discovery.dns(),
    smokeTest: false,
    zoneAware: false,
  },
  /** The app container is cdk8s-plus's ContainerProps, so these are documented in prose on `container`. */
  AppContainer: { user: 65532, resources: APP_RESOURCES },
  /** A bare Pod is one replica, whatever the app's default. */
  BarePod: { replicas: 1 },
  SubsetOptions: { weight: DNS_SOURCE.weight },
  GatewayOptions: { replicas: 2, port: CONFIG.listener.port, maxUnavailable: 1 },
  GatewayTlsOptions: { minVersion: LISTENER_TLS.minVersion as TlsVersion, reloadCheck: ms(LISTENER_TLS.reloadCheckMs) },
  IngressOptions: { path: '/' },
  GatewayMetricsOptions: { service: true, scrapeAnnotations: true, podMonitor: false },
  ConsumerOptions: { port: 15001, adminPort: CONFIG.admin.port, hardenPod: true },
  SlowStartOptions: { aggression: SLOW_START.aggression, minWeightPercent: SLOW_START.minWeightPercent },
  AutoscalingOptions: { minReplicas: 2, cpuUtilization: 70 },
  DisruptionBudgetOptions: { maxUnavailable: 1 },
  SpreadOptions: { zones: false, whenUnsatisfiable: 'ScheduleAnyway' as 'ScheduleAnyway' | 'DoNotSchedule' },
  MigrationJobOptions: { parallelism: 1, completions: 1, backoffLimit: 3, activeDeadline: Duration.minutes(10) },
  SmokeTestOptions: { timeout: Duration.minutes(2), backoffLimit: 2, activeDeadline: Duration.minutes(5) },
  ClientServiceOptions: { type: kplus.ServiceType.CLUSTER_IP, sessionAffinity: SessionAffinity.NONE, externalTrafficPolicy: ExternalTrafficPolicy.CLUSTER },
  ProxyOptions: {
    adminPort: CONFIG.admin.port,
    resources: PROXY_RESOURCES,
    drain: ms(CONFIG.drainMs),
    shutdownDelay: ms(CONFIG.shutdownDelayMs),
    accessLog: CONFIG.logging.accessLog,
  },
  /** `ProxyImage.node()`: the pinned stock Node image (Node 24 LTS), run as its `node` user. */
  ProxyImage: { image: 'node:24.11.1-alpine3.22' },
  ProxyImageOptions: { user: 1000, group: 1000 },
  HealthCheckOptions: {
    path: HEALTH.path,
    interval: ms(HEALTH.intervalMs),
    timeout: ms(HEALTH.timeoutMs),
    healthyThreshold: HEALTH.healthyThreshold,
    unhealthyThreshold: HEALTH.unhealthyThreshold,
  },
  OutlierDetectionOptions: {
    consecutiveFailures: CONFIG.outlierDetection.consecutiveFailures,
    baseEjection: ms(CONFIG.outlierDetection.baseEjectionMs),
    maxEjection: ms(CONFIG.outlierDetection.maxEjectionMs),
    maxEjectionPercent: CONFIG.outlierDetection.maxEjectionPercent,
  },
  RetryOptions: { attempts: CONFIG.retries.attempts, retryOn: CONFIG.retries.retryOn, budgetRatio: CONFIG.retries.budget.ratio },
  TimeoutOptions: {
    connect: ms(CONFIG.timeouts.connectMs),
    request: ms(CONFIG.timeouts.requestMs),
    idle: ms(CONFIG.timeouts.idleMs),
    clientIdle: ms(CONFIG.timeouts.clientIdleMs),
  },
  PeakEwmaOptions: { decay: ms(PEAK_EWMA.decayMs), failurePenalty: ms(PEAK_EWMA.failurePenaltyMs) },
  ConsistentHashOptions: { sourceIp: false, loadFactor: HASH.loadFactor, virtualNodes: HASH.virtualNodes },
  LeastUtilizationOptions: { header: UTILIZATION.header, staleAfter: ms(UTILIZATION.staleAfterMs) },
  StatefulSetKindOptions: { podManagementPolicy: kplus.PodManagementPolicy.PARALLEL },
  AppServiceProps: {
    type: kplus.ServiceType.CLUSTER_IP,
    headless: false,
    sessionAffinity: SessionAffinity.NONE,
    externalTrafficPolicy: ExternalTrafficPolicy.CLUSTER,
    publishNotReadyAddresses: false,
  },
  PodDisruptionBudgetProps: { maxUnavailable: 1, unhealthyPodEvictionPolicy: UnhealthyPodEvictionPolicy.ALWAYS_ALLOW },
  ReplicaSetProps: { replicas: 1, minReadySeconds: 0 },
} as const;
