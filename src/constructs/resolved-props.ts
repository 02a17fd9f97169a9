/**
 * What the props of a {@link LoadBalancedApp} resolve to: every default applied and every prop checked, once. The
 * app's parts (its subsets, its gateway, its jobs and sidecars) are built from this shape, and it is public as
 * `app.props`, so what you read there is what is synthesized.
 *
 * Fields that map onto the proxy config (health checks, retries, timeouts, drain) stay as given: their defaults live
 * in the config schema, and the validated config is `app.gateway.config` or the sidecar's ConfigMap.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Algorithm } from './algorithm';
import type { ClientServiceOptions } from './app-service';
import type { AppSecret } from './app-secret';
import type { IngressOptions } from './app-ingress';
import type { BackendTls } from './backend-tls';
import type { TlsVersion } from './enums';
import type { DisruptionBudgetOptions, SpreadOptions } from './app-subset';
import type { Discovery } from './discovery';
import type { Protocol } from './protocol';
import type { HealthCheckOptions, OutlierDetectionOptions, RetryOptions, SlowStartOptions, TimeoutOptions, ZoneAwareOptions } from './proxy-options';
import type { ProxyImage } from './proxy-image';
import type { WorkloadKind } from './workload-kind';

/** A named container port of the app. */
export interface NamedPort {
  readonly name: string;
  readonly number: number;
}

/** One subset of the app, resolved. */
export interface ResolvedSubset {
  /** The subset's name, a DNS label. */
  readonly name: string;
  /** Base name of the subset's objects: the app's name, or `<app>-<subset>` when the app declares subsets. */
  readonly objectName: string;
  /** Name of the subset's headless Service, `<objectName>-headless`: a DNS-1035 label of at most 63 characters. */
  readonly headlessServiceName: string;
  /** Construct id of the subset (`Workload`, or `Workload-<subset>`), kept from v1 so construct addresses stay. */
  readonly id: string;
  /** The app container's image in this subset. */
  readonly image: string;
  /** Replicas of the subset's workload; undefined when an autoscaler owns the count. */
  readonly replicas?: number;
  /** Whether the app's autoscaler scales this subset. */
  readonly autoscaled: boolean;
  /** Weight of each endpoint; undefined leaves the config's default. */
  readonly weight?: number;
  /** Extra plain environment variables. */
  readonly env: Readonly<Record<string, string>>;
}

/** The app's autoscaling, resolved. */
export interface ResolvedAutoscaling {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cpuUtilization: number;
}

/** The gateway, resolved. */
export interface ResolvedGateway {
  /** Undefined when autoscaled: the HPA owns the count. */
  readonly replicas?: number;
  readonly port: number;
  readonly maxUnavailable: number;
  readonly autoscaling?: ResolvedAutoscaling;
  /** TLS at the gateway, resolved; undefined for plain text. */
  readonly tls?: ResolvedGatewayTls;
  /** The client connections' age limit; undefined for none. */
  readonly maxConnectionAge?: Duration;
  readonly metrics: {
    readonly service: boolean;
    readonly scrapeAnnotations: boolean;
    readonly podMonitor: boolean;
    readonly podMonitorLabels: Readonly<Record<string, string>>;
  };
}

/** TLS at the gateway, resolved. */
export interface ResolvedGatewayTls {
  /** The Secret mounted into the gateway's pods: the given one, or `<app>-gateway-tls` made from an AppSecret. */
  readonly secretName: string;
  /** The AppSecret whose values the chart writes into that Secret, if any. */
  readonly appSecret?: AppSecret;
  readonly minVersion: TlsVersion;
  readonly reloadCheck: Duration;
}

/** How the proxy runs, resolved; the fields that live in the proxy config stay as given. */
export interface ResolvedProxy {
  readonly image: ProxyImage;
  /** The bundle file; undefined means the package's own lib/proxy.bundle.js. */
  readonly bundleFile?: string;
  readonly resources: kplus.ContainerResources;
  readonly adminPort: number;
  readonly shutdownDelay?: Duration;
  readonly drain?: Duration;
  readonly accessLog?: boolean;
}

/** The migration Job, resolved. */
export interface ResolvedMigration {
  readonly container: kplus.ContainerProps;
  readonly user: number;
  readonly group: number;
  readonly parallelism: number;
  readonly completions: number;
  readonly backoffLimit: number;
  readonly activeDeadline: Duration;
}

/** The smoke-test Job, resolved. */
export interface ResolvedSmokeTest {
  readonly timeout: Duration;
  readonly backoffLimit: number;
  readonly activeDeadline: Duration;
}

/** The props of a {@link LoadBalancedApp}, resolved. */
export interface ResolvedAppProps {
  readonly name: string;
  /** The namespace DNS names and ConfigMap mounts assume: the prop, the chart's, or `default`. */
  readonly namespace: string;
  /** The namespace written on objects: the prop only, so that a chart's namespace or `kubectl apply -n` applies. */
  readonly objectNamespace?: string;
  /**
   * The namespace in the discovery DNS names: the app's or the chart's when one is set, else `$(POD_NAMESPACE)`,
   * which the proxy fills in from the downward API, so that `kubectl apply -n team-a` works.
   */
  readonly dnsNamespace: string;
  readonly clusterDomain: string;
  /** The app container as given. */
  readonly container: kplus.ContainerProps;
  /** User and group the app container runs as. */
  readonly user: number;
  readonly group: number;
  readonly ports: readonly NamedPort[];
  readonly balancedPort: NamedPort;
  readonly workload: WorkloadKind;
  /** Replicas of each subset that sets none; undefined when autoscaled. */
  readonly replicas?: number;
  readonly maxSurge: number | string;
  readonly maxUnavailable: number | string;
  readonly revisionHistoryLimit: number;
  readonly subsets: readonly ResolvedSubset[];
  readonly autoscaling?: ResolvedAutoscaling;
  readonly disruptionBudget: DisruptionBudgetOptions;
  readonly spread: Required<SpreadOptions>;
  readonly algorithm: Algorithm;
  /** Shares of traffic per subset name; undefined for one pool of every endpoint. */
  readonly trafficSplit?: Readonly<Record<string, number>>;
  /** The prop that set `trafficSplit`, for messages: `trafficSplit` or `algorithm subsetWeights`. */
  readonly trafficSplitProp: string;
  readonly protocol: Protocol;
  readonly discovery: Discovery;
  readonly healthCheck?: HealthCheckOptions;
  /**
   * Path of the app's httpGet probes: the health-check path of a Protocol.http() app; TCP probes when there is no
   * health check, and for the other protocols (the kubelet probes with HTTP/1.1, which h2c-only and gRPC pods refuse),
   * except gRPC probes for a gRPC app with a health check.
   */
  readonly probePath?: string;
  /** TLS to the pods; undefined for plain text. */
  readonly backendTls?: BackendTls;
  /** The app's Ingress, with its path resolved; undefined for none. */
  readonly ingress?: IngressOptions & { readonly path: string };
  readonly outlierDetection?: OutlierDetectionOptions;
  readonly retries?: RetryOptions;
  readonly timeouts?: TimeoutOptions;
  readonly slowStart?: SlowStartOptions;
  readonly zoneAware?: boolean | ZoneAwareOptions;
  readonly gateway?: ResolvedGateway;
  readonly proxy: ResolvedProxy;
  readonly service: ClientServiceOptions;
  readonly config?: Readonly<Record<string, string>>;
  readonly secret?: AppSecret;
  readonly migration?: ResolvedMigration;
  readonly smokeTest?: ResolvedSmokeTest;
  readonly allowFrom: readonly kplus.INetworkPolicyPeer[];
}
