/**
 * `cdk8s-balancer`: the constructs. The manifest validator is `cdk8s-balancer/testing` and the proxy config contract
 * `cdk8s-balancer/config`. Every name is listed, so that a change to the public surface shows in review (and in
 * test/api/exports.test.ts); a module under src/constructs that is not named here, and all of src/constructs/internal,
 * is internal.
 *
 * @module cdk8s-balancer
 */
export { Algorithm } from './constructs/algorithm';
export type { ConsistentHashOptions, LeastUtilizationOptions, PeakEwmaOptions, WeightedRoundRobinOptions } from './constructs/algorithm';
export { AppIngress } from './constructs/app-ingress';
export type { AppIngressProps, IngressOptions } from './constructs/app-ingress';
export { AppSecret } from './constructs/app-secret';
export type { AppSecretValuesOptions } from './constructs/app-secret';
export { AppService } from './constructs/app-service';
export type { AppServicePort, AppServiceProps, ClientServiceOptions } from './constructs/app-service';
export { AppSubset } from './constructs/app-subset';
export type { AppSubsetProps, AutoscalingOptions, DisruptionBudgetOptions, SpreadOptions, SubsetOptions } from './constructs/app-subset';
export { BackendTls } from './constructs/backend-tls';
export type { BackendTlsOptions } from './constructs/backend-tls';
export { Discovery } from './constructs/discovery';
export type { DiscoveryBinding } from './constructs/discovery';
export { ExternalTrafficPolicy, SessionAffinity, TlsVersion, UnhealthyPodEvictionPolicy } from './constructs/enums';
export { PropsError } from './constructs/errors';
export type { PropsErrorCode } from './constructs/errors';
export { Gateway } from './constructs/gateway';
export type { GatewayMetricsOptions, GatewayOptions, GatewayProps } from './constructs/gateway';
export { GatewayTls } from './constructs/gateway-tls';
export type { GatewayTlsOptions } from './constructs/gateway-tls';
export type { MigrationJobOptions, SmokeTestOptions } from './constructs/jobs';
export { LoadBalancedApp } from './constructs/load-balanced-app';
export type { LoadBalancedAppProps } from './constructs/load-balanced-app';
export type { ConsumerOptions } from './constructs/consumer-options';
export { Capabilities } from './constructs/capabilities';
export { PodDisruptionBudget } from './constructs/pod-disruption-budget';
export type { PodDisruptionBudgetProps } from './constructs/pod-disruption-budget';
export { Protocol } from './constructs/protocol';
export { ProxyImage } from './constructs/proxy-image';
export type { ProxyImageOptions } from './constructs/proxy-image';
export type { HealthCheckOptions, OutlierDetectionOptions, ProxyOptions, RetryOptions, SlowStartOptions, TimeoutOptions, ZoneAwareOptions } from './constructs/proxy-options';
export { ReplicaSet } from './constructs/replica-set';
export type { ReplicaSetProps } from './constructs/replica-set';
export type {
  NamedPort,
  ResolvedAppProps,
  ResolvedAutoscaling,
  ResolvedGateway,
  ResolvedGatewayTls,
  ResolvedMigration,
  ResolvedProxy,
  ResolvedSmokeTest,
  ResolvedSubset,
} from './constructs/resolved-props';
export { WorkloadKind } from './constructs/workload-kind';
export type { AppWorkload, StatefulSetKindOptions } from './constructs/workload-kind';
// Config types that appear in the constructs' public signatures (Gateway.config, DiscoveryBinding.source, ...).
export type { AlgorithmInput, DiscoverySourceInput, ListenerInput, ListenerProtocol, ProxyConfig } from './config';
