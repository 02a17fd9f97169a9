/**
 * How the proxy runs and balances: the options of the gateway, the sidecars and the smoke test alike. Each maps onto
 * a field of the proxy config, whose schema holds the defaults (src/config).
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { ProxyImage } from './proxy-image';

/** How the proxy runs, in the gateway, the sidecars and the smoke test. */
export interface ProxyOptions {
  /**
   * Image the proxy runs on.
   * @default - ProxyImage.node(): node:24.11.1-alpine3.22 as uid 1000, with the bundle mounted from a ConfigMap
   */
  readonly image?: ProxyImage;
  /**
   * The bundle file shipped in the bundle ConfigMap.
   * @default - lib/proxy.bundle.js of this package, written by `npm run build`
   */
  readonly bundleFile?: string;
  /**
   * Resources of each proxy container.
   * @default - requests 50m CPU and 64Mi memory, limit 192Mi memory
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Admin port (/healthz, /readyz, /metrics) of gateway and smoke-test proxies; sidecars take `ConsumerOptions.adminPort`.
   * @default 9901
   */
  readonly adminPort?: number;
  /**
   * On SIGTERM, how long the proxy keeps accepting while it reports not ready, so that endpoints and load balancers
   * stop sending before the listener closes. Pods that run the proxy get a termination grace period of at least
   * shutdownDelay + drain + 5 s.
   * @default Duration.seconds(5)
   */
  readonly shutdownDelay?: Duration;
  /**
   * On SIGTERM, after the shutdown delay, how long requests in flight get to finish.
   * @default Duration.seconds(20)
   */
  readonly drain?: Duration;
  /**
   * Log one line per request.
   * @default false
   */
  readonly accessLog?: boolean;
}

/**
 * Active health checks by the proxy: an HTTP GET of `path` (Protocol.http() and http2()), the standard
 * `grpc.health.v1.Health/Check` of `grpcService` (Protocol.grpc()), or a TCP connect (Protocol.tcp()).
 */
export interface HealthCheckOptions {
  /**
   * Path checked on each endpoint (HTTP protocols); with Protocol.http() also the path of the app's default readiness
   * and liveness probes. gRPC and TCP apps refuse it: use `grpcService`, or nothing for a TCP connect.
   * @default '/' - for Protocol.http() and http2()
   */
  readonly path?: string;
  /**
   * Protocol.grpc() only: the service name sent in `grpc.health.v1.Health/Check`, e.g. `helloworld.Greeter`; `''`
   * asks about the server as a whole. The app's default probes then are the kubelet's gRPC probes for it.
   * @default - the server as a whole ('')
   */
  readonly grpcService?: string;
  /**
   * Time between two checks of one endpoint.
   * @default Duration.seconds(5)
   */
  readonly interval?: Duration;
  /**
   * Time a check may take.
   * @default Duration.seconds(1)
   */
  readonly timeout?: Duration;
  /**
   * Passed checks that make an endpoint healthy.
   * @default 2
   */
  readonly healthyThreshold?: number;
  /**
   * Failed checks that make an endpoint unhealthy.
   * @default 3
   */
  readonly unhealthyThreshold?: number;
}

/** Passive outlier detection: endpoints that keep failing are ejected for a while. */
export interface OutlierDetectionOptions {
  /**
   * Consecutive failures that eject an endpoint.
   * @default 5
   */
  readonly consecutiveFailures?: number;
  /**
   * First ejection time; doubles with each further ejection.
   * @default Duration.seconds(30)
   */
  readonly baseEjection?: Duration;
  /**
   * Longest ejection.
   * @default Duration.minutes(5)
   */
  readonly maxEjection?: Duration;
  /**
   * Most endpoints ejected at once, in percent.
   * @default 50
   */
  readonly maxEjectionPercent?: number;
}

/** Retries of idempotent requests, each on another endpoint. */
export interface RetryOptions {
  /**
   * Retries after the first try.
   * @default 2
   */
  readonly attempts?: number;
  /**
   * Outcomes that are retried; `unavailable` is gRPC's UNAVAILABLE, retried only before a response message reached
   * the client.
   * @default ['connect-failure', 'reset', '502', '503', '504', 'unavailable']
   */
  readonly retryOn?: Array<'connect-failure' | 'reset' | '502' | '503' | '504' | 'unavailable'>;
  /**
   * Retries as a share of live requests.
   * @default 0.2
   */
  readonly budgetRatio?: number;
}

/** Timeouts of the proxy. */
export interface TimeoutOptions {
  /**
   * Upstream connect timeout.
   * @default Duration.seconds(1)
   */
  readonly connect?: Duration;
  /**
   * Time an endpoint has to send its response head once the whole request was sent.
   * @default Duration.seconds(30)
   */
  readonly request?: Duration;
  /**
   * A body that makes no progress this long is cut; idle upstream keep-alive connections are closed after it.
   * @default Duration.minutes(1)
   */
  readonly idle?: Duration;
  /**
   * Downstream keep-alive idle timeout.
   * @default Duration.seconds(65)
   */
  readonly clientIdle?: Duration;
}

/**
 * Slow start (Envoy's model): a pod that joins while others serve, or comes back from ejection or from failing
 * health checks, takes a growing share of new requests over `window` instead of its full share at once. Not applied
 * while every pod is new (a first start): there is nobody to shift the load to.
 */
export interface SlowStartOptions {
  /** How long the ramp lasts. */
  readonly window: Duration;
  /**
   * Shape of the ramp: the share factor is (t / window)^(1 / aggression); 1 is linear, above 1 ramps faster early.
   * @default 1
   */
  readonly aggression?: number;
  /**
   * Share factor at the start of the ramp, in percent (1-100), so a new pod still gets some requests.
   * @default 10
   */
  readonly minWeightPercent?: number;
}

/** Zone-aware routing: prefer pods in the proxy's zone while they have headroom. */
export interface ZoneAwareOptions {
  /**
   * The proxy's zone, when you know it (e.g. a gateway pinned to one zone).
   * @default - learned at run time: the zone the EndpointSlices give a pod on the proxy's node (its node name comes
   * from the downward API, since Kubernetes 1.27 cannot pass node labels to a pod); no preference until one is seen
   */
  readonly zone?: string;
}
