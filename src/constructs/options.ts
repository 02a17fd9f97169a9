/**
 * Props of {@link LoadBalancedApp} and the option types of its parts: subsets, gateway, autoscaling, disruption budget, jobs, consumers.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Algorithm } from './algorithm';
import { AppSecret } from './app-secret';
import { ExternalTrafficPolicy, SessionAffinity } from './app-service';
import { HealthCheckOptions, OutlierDetectionOptions, RetryOptions, TimeoutOptions } from './balancer-config';
import { WorkloadKind } from './workload-kind';
import { ProxyImage } from './proxy';

/** A subset of the app's pods: its own workload, headless Service and discovery source, labelled with its name. */
export interface SubsetOptions {
  /** Subset name, a DNS label such as "stable" or "canary". */
  readonly name: string;
  /**
   * Image of this subset's app container.
   * @default - the app container's image
   */
  readonly image?: string;
  /**
   * Replicas of this subset; a subset with replicas is not autoscaled.
   * @default - the app's replicas, or autoscaled with the app
   */
  readonly replicas?: number;
  /**
   * Weight of each endpoint of this subset; `Algorithm.weightedRoundRobin({ subsetWeights })` overrides it.
   * @default 1
   */
  readonly weight?: number;
  /**
   * Extra plain environment variables for this subset (never secrets: use the app's `secret`).
   * @default - none
   */
  readonly env?: Record<string, string>;
}

/** The gateway: a Deployment of proxies in front of the app, owning the client-facing Service. */
export interface GatewayOptions {
  /**
   * Gateway replicas.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Port the gateway proxies listen on, on 0.0.0.0.
   * @default 8080
   */
  readonly port?: number;
  /**
   * Pods that may be down during a voluntary disruption.
   * @default 1
   */
  readonly maxUnavailable?: number;
}

/** A sidecar proxy in a consumer workload. */
export interface ConsumerOptions {
  /**
   * Port the sidecar listens on, on 127.0.0.1.
   * @default 15001
   */
  readonly port?: number;
  /**
   * Admin port of the sidecar (probes, metrics), on 0.0.0.0.
   * @default 9901
   */
  readonly adminPort?: number;
  /**
   * Environment variable set to the sidecar's URL on the consumer's containers; `false` sets none.
   * @default - `<APP_NAME>_URL`, e.g. `HELLO_URL`
   */
  readonly envVar?: string | false;
}

/** Horizontal autoscaling (autoscaling/v2) of the app; the workloads then carry no `spec.replicas`. */
export interface AutoscalingOptions {
  /**
   * Fewest replicas.
   * @default 2
   */
  readonly minReplicas?: number;
  /** Most replicas. */
  readonly maxReplicas: number;
  /**
   * Target average CPU utilization, in percent of the request.
   * @default 70
   */
  readonly cpuUtilization?: number;
}

/** The app's PodDisruptionBudget; give `minAvailable` or `maxUnavailable`. */
export interface DisruptionBudgetOptions {
  /**
   * Pods that must stay available.
   * @default - unset; maxUnavailable applies
   */
  readonly minAvailable?: number | string;
  /**
   * Pods that may be unavailable.
   * @default 1
   */
  readonly maxUnavailable?: number | string;
}

/** Topology spread of the app's and the gateway's pods. */
export interface SpreadOptions {
  /**
   * Also spread across zones (`topology.kubernetes.io/zone`).
   * @default false
   */
  readonly zones?: boolean;
  /**
   * What the scheduler does when the spread cannot be met.
   * @default 'ScheduleAnyway'
   */
  readonly whenUnsatisfiable?: 'ScheduleAnyway' | 'DoNotSchedule';
}

/** A Job that runs before the app (database migrations and the like). It gets the app's config and secrets. */
export interface MigrationJobOptions {
  /** The migration container; its image must be pinned. */
  readonly container: kplus.ContainerProps;
  /**
   * Pods running at once.
   * @default 1
   */
  readonly parallelism?: number;
  /**
   * Successful pods needed.
   * @default 1
   */
  readonly completions?: number;
  /**
   * Retries before the Job fails.
   * @default 3
   */
  readonly backoffLimit?: number;
  /**
   * Longest run.
   * @default Duration.minutes(10)
   */
  readonly activeDeadline?: Duration;
}

/** A Job that sends requests through the balancer until every ready backend answered. */
export interface SmokeTestOptions {
  /**
   * How long one run may wait for every ready backend to answer (`--smoke-timeout-ms`); give the rollout time.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;
  /**
   * Retries before the Job fails.
   * @default 2
   */
  readonly backoffLimit?: number;
  /**
   * Longest run.
   * @default Duration.minutes(5)
   */
  readonly activeDeadline?: Duration;
}

/** The client-facing Service. */
export interface ClientServiceOptions {
  /**
   * Service type.
   * @default kplus.ServiceType.CLUSTER_IP
   */
  readonly type?: kplus.ServiceType;
  /**
   * Session affinity.
   * @default SessionAffinity.NONE
   */
  readonly sessionAffinity?: SessionAffinity;
  /**
   * ClientIP affinity timeout.
   * @default - Kubernetes' default (3 hours)
   */
  readonly sessionAffinityTimeout?: Duration;
  /**
   * External traffic policy (NodePort and LoadBalancer only).
   * @default ExternalTrafficPolicy.CLUSTER
   */
  readonly externalTrafficPolicy?: ExternalTrafficPolicy;
  /**
   * Node port per port name.
   * @default - allocated by Kubernetes
   */
  readonly nodePorts?: Record<string, number>;
}

/** How the proxy runs, in the gateway, the sidecars and the smoke test. */
export interface ProxyOptions {
  /**
   * Image the proxy runs on.
   * @default ProxyImage.node() - node:24.11.1-alpine3.22 as uid 1000, with the bundle mounted from a ConfigMap
   */
  readonly image?: ProxyImage;
  /**
   * The bundle file shipped in the bundle ConfigMap.
   * @default - lib/proxy.bundle.js of this package, written by `npm run build`
   */
  readonly bundleFile?: string;
  /**
   * Resources of each proxy container.
   * @default - requests 50m CPU and 64Mi memory, limit 128Mi memory
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Admin port (/healthz, /readyz, /metrics) of gateway and smoke-test proxies; sidecars take `ConsumerOptions.adminPort`.
   * @default 9901
   */
  readonly adminPort?: number;
  /**
   * Graceful drain on SIGTERM.
   * @default Duration.seconds(20)
   */
  readonly drain?: Duration;
  /**
   * Log one line per request.
   * @default false
   */
  readonly accessLog?: boolean;
}

/** Props of `LoadBalancedApp`. */
export interface LoadBalancedAppProps {
  /**
   * The app container. Every port needs a name; the image must be pinned (a tag other than latest, or a digest).
   * Your fields win over the defaults (name "app", IfNotPresent, 100m/128Mi requests and a 256Mi limit, TCP or
   * httpGet probes on the balanced port). It runs as `securityContext.user` (default 65532, group likewise) with a
   * read-only root filesystem and an emptyDir at /tmp; privileged, privilege escalation and root are refused.
   */
  readonly container: kplus.ContainerProps;
  /**
   * Base name of every object, a DNS label of at most 40 characters.
   * @default - derived from the construct path
   */
  readonly name?: string;
  /**
   * Namespace of every object.
   * @default - the chart's namespace; DNS names then assume the chart's namespace or "default"
   */
  readonly namespace?: string;
  /**
   * Cluster DNS domain, for the discovery host names.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * Name of the container port the balancer sends traffic to.
   * @default - the first port
   */
  readonly balancedPort?: string;
  /**
   * Kind of the app workload.
   * @default WorkloadKind.deployment()
   */
  readonly workload?: WorkloadKind;
  /**
   * Replicas of each subset.
   * @default 2, or none when autoscaled
   */
  readonly replicas?: number;
  /**
   * Extra pods during a rolling update.
   * @default 1
   */
  readonly maxSurge?: number | string;
  /**
   * Pods that may be unavailable during a rolling update.
   * @default 0
   */
  readonly maxUnavailable?: number | string;
  /**
   * Old ReplicaSets / revisions kept for rollback.
   * @default 5
   */
  readonly revisionHistoryLimit?: number;
  /**
   * Subsets of the app, each with its own workload and headless Service.
   * @default - one subset named "default"
   */
  readonly subsets?: SubsetOptions[];
  /**
   * Plain configuration, given to the app as environment variables from an immutable ConfigMap.
   * @default - none
   */
  readonly config?: Record<string, string>;
  /**
   * Secrets, given to the app as environment variables through `envFrom` a Secret. Inline values
   * ({@link AppSecret.fromValues}) end up base64-encoded in the synthesized YAML; see there.
   * @default - none
   */
  readonly secret?: AppSecret;
  /**
   * The client-facing Service.
   * @default - ClusterIP, no session affinity
   */
  readonly service?: ClientServiceOptions;
  /**
   * The balancing algorithm.
   * @default Algorithm.roundRobin()
   */
  readonly algorithm?: Algorithm;
  /**
   * Active health checks by the proxy; the path also becomes the app's default probe path.
   * @default - none; the app's default probes are TCP
   */
  readonly healthCheck?: HealthCheckOptions;
  /**
   * Passive outlier detection.
   * @default - the config's defaults: 5 failures, 30 s base ejection
   */
  readonly outlierDetection?: OutlierDetectionOptions;
  /**
   * Retries.
   * @default - the config's defaults: 2 attempts, 20 % budget
   */
  readonly retries?: RetryOptions;
  /**
   * Timeouts.
   * @default - the config's defaults: 1 s connect, 30 s request
   */
  readonly timeouts?: TimeoutOptions;
  /**
   * The gateway; `false` for none. The client-facing Service then selects the app directly (kube-proxy's
   * per-connection balancing), and its clients must be allowed through `allowFrom`.
   * @default - a gateway of 2 proxies on port 8080
   */
  readonly gateway?: GatewayOptions | false;
  /**
   * Image, bundle and resources of the proxy.
   * @default - see ProxyOptions
   */
  readonly proxy?: ProxyOptions;
  /**
   * Horizontal autoscaling of the app.
   * @default - none
   */
  readonly autoscaling?: AutoscalingOptions;
  /**
   * The app's PodDisruptionBudget (one per subset).
   * @default - maxUnavailable 1
   */
  readonly disruptionBudget?: DisruptionBudgetOptions;
  /**
   * Topology spread of the app and gateway pods.
   * @default - across nodes, ScheduleAnyway
   */
  readonly spread?: SpreadOptions;
  /**
   * A Job that runs before the app, named `<name>-migrate-<hash>`: a change of its spec or of the app's config or
   * secrets makes a new Job (Job templates are immutable), and finished Jobs are removed after an hour.
   * @default - none
   */
  readonly migration?: MigrationJobOptions;
  /**
   * A smoke-test Job through the balancer, named `<name>-smoke-<hash>` like the migration, run with the gateway's
   * config (and its listener) in `--smoke` mode.
   * @default false
   */
  readonly smokeTest?: SmokeTestOptions | boolean;
  /**
   * Other peers allowed to reach the app's ports besides the balancer (see also `LoadBalancedApp.allowFrom`).
   * @default - only the balancer's pods: the gateway, sidecar consumers and the smoke test. With `gateway: false` and
   * no consumer, nothing may reach the app until you allow a peer.
   */
  readonly allowFrom?: kplus.INetworkPolicyPeer[];
}

