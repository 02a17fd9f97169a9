/**
 * LoadBalancedApp: an app's subsets (workloads, headless Services, autoscalers, budgets), its config, secret, jobs and
 * NetworkPolicy, and the balancer in front of it: a gateway, sidecars in consumer workloads, or both.
 */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { ProxyConfig } from '../config';
import type { Algorithm } from './algorithm';
import type { AppSecret } from './app-secret';
import type { AppIngress, IngressOptions } from './app-ingress';
import type { BackendTls } from './backend-tls';
import type { AppService, ClientServiceOptions } from './app-service';
import { AppSubset, type AutoscalingOptions, type DisruptionBudgetOptions, type SpreadOptions, type SubsetOptions } from './app-subset';
import type { Discovery } from './discovery';
import { Gateway, type GatewayOptions } from './gateway';
import { buildBalancerConfig, gatewayListener, serializeConfig } from './internal/balancer-config';
import { guarded, invalid } from './internal/checks';
import { claimAppName } from './internal/duplicates';
import { appClientPorts, createAppIngress, createClientService } from './internal/client-service';
import { DEFAULTS } from './internal/defaults';
import { HashedConfigMap } from './internal/hashed-config-map';
import { createMigrationJob, createSmokeJob, JobSpec } from './internal/jobs';
import { accessLabel, Component, componentLabels, LABELS } from './internal/labels';
import { backendCaMounts, CONFIG_KEY, proxyChecksum } from './internal/proxy-container';
import { ProxyBundle, sha256 } from './internal/proxy-bundle';
import { resolveLoadBalancedAppProps } from './internal/resolve';
import { injectSidecar } from './internal/sidecar';
import type { MigrationJobOptions, SmokeTestOptions } from './jobs';
import type { Protocol } from './protocol';
import type { HealthCheckOptions, OutlierDetectionOptions, ProxyOptions, RetryOptions, SlowStartOptions, TimeoutOptions, ZoneAwareOptions } from './proxy-options';
import type { NamedPort, ResolvedAppProps, ResolvedMigration, ResolvedSmokeTest } from './resolved-props';
import type { WorkloadKind } from './workload-kind';
import type { ConsumerOptions } from './consumer-options';

/** Props of {@link LoadBalancedApp}. */
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
   * @default - the chart's namespace. When neither is set, the objects carry no namespace (`kubectl apply -n` decides)
   * and the proxies look the app up in the namespace their pod runs in (downward API), so one dist/ deploys anywhere
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
   * Replicas of each subset. A bare Pod is one replica: with `WorkloadKind.pod()` only 1 is accepted.
   * @default 2 - 1 for a bare Pod; none when autoscaled
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
   * Shares of traffic per subset, e.g. `{ stable: 90, canary: 10 }`, as Istio, SMI and Argo Rollouts mean it: each
   * request draws its subset by these shares whatever the pod counts, then its endpoint with the algorithm. Relative
   * numbers >= 0, one per declared subset; 0 drains a subset; a subset with no healthy endpoint sits out.
   * @default - no split: one pool of every endpoint, by each subset's per-endpoint `weight`
   */
  readonly trafficSplit?: Record<string, number>;
  /**
   * The balanced port's protocol (HTTP/1.1 pods, HTTP/2 pods, gRPC, TCP): the listener, its port name, `appProtocol`.
   * @default Protocol.http()
   */
  readonly protocol?: Protocol;
  /**
   * TLS from the proxies to the pods (CA bundle, server name); the balanced port's probes then use HTTPS. Not for TCP.
   * @default - none: plain text to the pods
   */
  readonly backendTls?: BackendTls;
  /**
   * An Ingress (networking.k8s.io/v1) to the client-facing Service, for an ingress controller. Not for TCP.
   * @default - none
   */
  readonly ingress?: IngressOptions;
  /**
   * How the proxy finds each subset's pods.
   * @default Discovery.dns()
   */
  readonly discovery?: Discovery;
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
   * Slow start of pods that join, or come back from ejection or failed health checks, in every algorithm.
   * @default - none: a new pod gets its full share at once
   */
  readonly slowStart?: SlowStartOptions;
  /**
   * Zone-aware routing: `true`, or `{ zone }`. Needs zones, so it is meant for `Discovery.endpointSlices()`.
   * @default false
   */
  readonly zoneAware?: boolean | ZoneAwareOptions;
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

/** What the smoke test runs the proxy with: the gateway's config, or one of its own when there is no gateway. */
interface SmokeProxy {
  readonly configMap: kplus.IConfigMap;
  readonly checksum: string;
  readonly bundle: ProxyBundle;
}

/** What the app's pods get from its config and secret. */
interface AppEnv {
  readonly envFrom: kplus.EnvFrom[];
  /** A hash of the config and of the secret's values, never the values: it rolls the pods when they change. */
  readonly checksum: string;
}

/** An app behind the cdk8s-balancer proxy. */
export class LoadBalancedApp extends Construct {
  /** The props, resolved: what is synthesized. */
  public readonly props: ResolvedAppProps;
  public readonly name: string;
  /** Namespace the DNS names and ConfigMap mounts assume. */
  public readonly namespace: string;
  public readonly clusterDomain: string;
  /** Replicas of each subset that sets none; undefined when autoscaled. */
  public readonly replicas?: number;
  public readonly algorithm: Algorithm;
  /** The port the balancer sends traffic to. */
  public readonly balancedPort: NamedPort;
  public readonly ports: readonly NamedPort[];
  /** The subsets, in the order declared: each with its workload, headless Service, autoscaler and budget. */
  public readonly subsets: readonly AppSubset[];
  /** The gateway, unless `gateway: false`. */
  public readonly gateway?: Gateway;
  /** The client-facing Service: the gateway's, or the app's when there is no gateway. */
  public readonly service: AppService;
  /** What a consumer calls through its sidecar, with the default sidecar port: a URL for HTTP, `host:port` for gRPC and TCP. */
  public readonly sidecarUrl: string;
  /** The Ingress to the client-facing Service, when `ingress` is set. */
  public readonly ingress?: AppIngress;
  public readonly networkPolicy: kplus.NetworkPolicy;
  public readonly migrationJob?: kplus.Job;
  public readonly smokeTestJob?: kplus.Job;

  constructor(scope: Construct, id: string, props: LoadBalancedAppProps) {
    super(scope, id);
    const p = resolveLoadBalancedAppProps(this, props);
    claimAppName(this, p.name, p.objectNamespace ?? Chart.of(this).namespace);
    this.props = p;
    this.name = p.name;
    this.namespace = p.namespace;
    this.clusterDomain = p.clusterDomain;
    this.replicas = p.replicas;
    this.algorithm = p.algorithm;
    this.balancedPort = p.balancedPort;
    this.ports = p.ports;
    this.sidecarUrl = p.protocol.sidecarAddress(DEFAULTS.ConsumerOptions.port);
    // The order of creation is the order of the objects in the YAML (Jobs aside, which follow their dependencies).
    const env = this.createAppEnv(p);
    this.subsets = p.subsets.map((subset) => new AppSubset(this, subset.id, { app: p, subset, envFrom: env.envFrom, checksum: env.checksum }));
    // Built, and so validated, even without a gateway: a bad algorithm fails synth however the app is consumed.
    const config = this.buildConfig(p);
    const discovery = this.subsets.map((s) => s.discovery);
    this.gateway = p.gateway && new Gateway(this, 'Gateway', { app: p, gateway: p.gateway, config, discovery });
    const smoke = p.smokeTest && this.smokeProxy(p, config);
    this.service = this.gateway?.service ?? createClientService(this, p, componentLabels(p.name, 'app'), appClientPorts(p));
    this.ingress = p.ingress && createAppIngress(this, p, p.ingress, this.service.name, this.gateway ? p.gateway?.tls !== undefined : p.backendTls !== undefined);
    this.networkPolicy = new kplus.NetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: `${p.name}-app`, namespace: p.objectNamespace },
      selector: kplus.Pods.select(this, 'AppPods', { labels: componentLabels(p.name, 'app') }),
      ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    });
    if (this.gateway || p.smokeTest) this.allowBalancers();
    for (const peer of p.allowFrom) this.allowFrom(peer);
    this.migrationJob = p.migration && this.addMigrationJob(p.migration, env);
    this.smokeTestJob = p.smokeTest && smoke && this.addSmokeJob(p.smokeTest, smoke, config);
  }

  /**
   * Lets `peer` reach the app's pods on `ports` (by number), e.g. `kplus.Pods.select(...)` or a namespace.
   * @param ports default: every app port
   */
  public allowFrom(peer: kplus.INetworkPolicyPeer, ports?: number[]): void {
    const numbers = ports ?? this.ports.map((p) => p.number);
    for (const n of numbers) {
      if (!this.ports.some((p) => p.number === n)) invalid(this, 'allowFrom ports', n, `use app ports: ${this.ports.map((p) => p.number).join(', ')}`);
    }
    this.networkPolicy.addIngressRule(peer, numbers.map((n) => kplus.NetworkPolicyPort.tcp(n)));
  }

  /**
   * Injects a sidecar proxy into `consumer`, which then calls the app at the returned URL (`http://127.0.0.1:<port>`; `127.0.0.1:<port>` for gRPC and TCP).
   * Works with Deployments, StatefulSets, DaemonSets, Jobs and Pods of cdk8s-plus in the app's namespace.
   *
   * It adds the `lb-<app>` container with its volumes, the access label the app's NetworkPolicy admits, a checksum
   * annotation, the URL as an env var on the containers present now, the pod-level seccompProfile RuntimeDefault
   * (cdk8s-plus cannot set it per container), and a termination grace period long enough for the proxy's shutdown
   * delay and drain (a longer one of yours stays). In a Job the sidecar keeps running after the main container exits
   * (Kubernetes 1.27 has no native sidecars), so prefer long-running consumers.
   */
  public addConsumer(consumer: kplus.AbstractPod, options: ConsumerOptions = {}): string {
    const url = injectSidecar(this, consumer, options);
    this.allowBalancers();
    return url;
  }

  /**
   * Lets pods with the access label (gateway, sidecar consumers, smoke test) reach the balanced port. Added once, when
   * the first such pod exists, so that a policy never names pods that are not there.
   */
  private allowBalancers(): void {
    if (this.node.tryFindChild('BalancerPods')) return;
    const peer = kplus.Pods.select(this, 'BalancerPods', { labels: { [accessLabel(this.name)]: 'true' } });
    this.allowFrom(peer, [this.balancedPort.number]);
  }

  private createAppEnv(p: ResolvedAppProps): AppEnv {
    const config = p.config ? new HashedConfigMap(this, 'Config', `${p.name}-config`, p.objectNamespace, p.config) : undefined;
    const secret = p.secret?.bind(this, `${p.name}-secret`, p.objectNamespace);
    return {
      envFrom: [...(config ? [kplus.Env.fromConfigMap(config.configMap)] : []), ...(secret ? [kplus.Env.fromSecret(secret)] : [])],
      checksum: sha256(JSON.stringify({ config: config?.hash ?? '', secret: p.secret?.checksum ?? '' })),
    };
  }

  /** The config on the gateway's listener (also the smoke test's): validated here, once. */
  private buildConfig(p: ResolvedAppProps, withTls = true): ProxyConfig {
    return buildBalancerConfig(this, p, this.subsets.map((s) => s.discovery.source), {
      listener: gatewayListener(p, p.gateway, withTls),
      adminPort: p.proxy.adminPort,
      portProp: 'gateway.port',
      adminPortProp: 'proxy.adminPort',
    });
  }

  /** The smoke test runs the gateway's config; with gateway TLS one without it (it sends plain HTTP to itself). */
  private smokeProxy(p: ResolvedAppProps, config: ProxyConfig): SmokeProxy {
    const bundle = ProxyBundle.forApp(this, p);
    if (this.gateway && !p.gateway?.tls) return { configMap: this.gateway.configMap, checksum: this.gateway.checksum, bundle };
    const [id, suffix, own] = this.gateway ? ['SmokeConfig', 'smoke', this.buildConfig(p, false)] : ['GatewayConfig', 'gateway', config];
    const configMap = new HashedConfigMap(this, id, `${p.name}-lb-${suffix}`, p.objectNamespace, { [CONFIG_KEY]: serializeConfig(own) });
    return { configMap: configMap.configMap, checksum: proxyChecksum(configMap, bundle), bundle };
  }

  /** The migration Job runs before the app's workloads; its name carries what it runs (Job templates are immutable). */
  private addMigrationJob(migration: ResolvedMigration, env: AppEnv): kplus.Job {
    const c = migration.container;
    const nameHash = sha256(JSON.stringify({ appChecksum: env.checksum, image: c.image, command: c.command, args: c.args }));
    const spec = this.jobSpec('migrate', 'migration', env.checksum, nameHash);
    const job = guarded(this, 'migration.container', c, () => createMigrationJob(this, spec, migration, env.envFrom));
    for (const s of this.subsets) s.workload.node.addDependency(job);
    return job;
  }

  /** The smoke test runs after the workloads it tests, through the gateway's listener config. */
  private addSmokeJob(smokeTest: ResolvedSmokeTest, smoke: SmokeProxy, config: ProxyConfig): kplus.Job {
    const p = this.props;
    const nameHash = sha256(JSON.stringify({ proxyChecksum: smoke.checksum, image: p.proxy.image.image }));
    const spec = this.jobSpec('smoke', 'smoke-test', smoke.checksum, nameHash);
    const { image, resources, adminPort } = p.proxy;
    const job = createSmokeJob(
      this,
      { ...spec, labels: { ...spec.labels, [accessLabel(p.name)]: 'true' } },
      smokeTest,
      { config: smoke.configMap, bundle: smoke.bundle, image, resources, adminPort, listenerPort: config.listener.port, mounts: backendCaMounts(p.backendTls) },
      this.subsets.map((s) => s.discovery),
    );
    for (const w of [...this.subsets.map((s) => s.workload), ...(this.gateway ? [this.gateway.deployment] : [])]) job.node.addDependency(w);
    return job;
  }

  private jobSpec(suffix: string, component: Component, checksum: string, nameHash: string): JobSpec {
    return {
      name: `${this.name}-${suffix}-${nameHash.slice(0, 10)}`,
      namespace: this.props.objectNamespace,
      labels: componentLabels(this.name, component),
      annotations: { [LABELS.checksum]: checksum },
    };
  }
}
