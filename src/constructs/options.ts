/**
 * Option types of {@link LoadBalancedApp}'s parts: subsets, gateway, autoscaling, disruption budget, jobs, consumers.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { ExternalTrafficPolicy, SessionAffinity } from './app-service';
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
