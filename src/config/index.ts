/**
 * `cdk8s-balancer/config`: the proxy config contract. Its types, its zod schemas (the defaults live in them), the one
 * validation function the constructs and the proxy both run, and its JSON Schema. No cdk8s, no I/O.
 *
 * @module cdk8s-balancer/config
 */
export {
  ALGORITHM_KINDS,
  AlgorithmSchema,
  ConsistentHashSchema,
  HashKeySchema,
  LeastConnectionsSchema,
  LeastUtilizationSchema,
  PeakEwmaSchema,
  PowerOfTwoChoicesSchema,
  RandomSchema,
  RoundRobinSchema,
  WeightedRoundRobinSchema,
} from './algorithm';
export type { AlgorithmConfig, AlgorithmInput, AlgorithmKind, HashKey } from './algorithm';
export { DiscoverySourceSchema, DnsSourceSchema, StaticEndpointSchema, StaticSourceSchema } from './discovery';
export type { DiscoveryKind, DiscoverySource, DiscoverySourceInput } from './discovery';
export {
  GrpcListenerSchema,
  Http2ListenerSchema,
  HttpListenerSchema,
  ListenerSchema,
  ListenerTlsSchema,
  listenerProtocol,
  TcpListenerSchema,
  upstreamIsHttp2,
} from './listener';
export type { ListenerConfig, ListenerInput, ListenerProtocol, ListenerTlsConfig } from './listener';
export {
  AdminSchema,
  CONFIG_VERSION,
  HealthCheckSchema,
  LimitsSchema,
  LoggingSchema,
  OutlierDetectionSchema,
  ProxyConfigSchema,
  RetriesSchema,
  RetryBudgetSchema,
  TimeoutsSchema,
  UpstreamSchema,
  UpstreamTlsSchema,
} from './schema';
export type {
  HealthCheckConfig,
  LimitsConfig,
  OutlierDetectionConfig,
  ProxyConfig,
  ProxyConfigInput,
  RetriesConfig,
  SlowStartConfig,
  TimeoutsConfig,
  UpstreamTlsConfig,
} from './schema';
export { checkProxyConfig, ConfigError, proxyConfigJsonSchema, validateProxyConfig } from './validate';
export type { ConfigErrorCode, ConfigIssue, ValidationResult } from './validate';
