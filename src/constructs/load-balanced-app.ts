/**
 * LoadBalancedApp: an app's workloads, Services, config, secrets, jobs and HA objects, and the balancer in front of it
 * (a gateway Deployment, sidecars in consumer workloads, or both).
 */
import { ApiObject, Chart, Duration, JsonPatch, Names, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { ProxyConfig } from '../config';
import { Algorithm } from './algorithm';
import { AppService } from './app-service';
import { createWorkload, podMetadata } from './app-workloads';
import { BalancerConfigSpec, buildBalancerConfig, serializeConfig, SubsetSource } from './balancer-config';
import { injectSidecar } from './consumer';
import { checkInt, checkPort, invalid } from './errors';
import { HashedConfigMap } from './hashed-config-map';
import { createMigrationJob, createSmokeJob } from './jobs';
import { LABELS, accessLabel } from './labels';
import { ClientServiceOptions, ConsumerOptions, LoadBalancedAppProps, SubsetOptions } from './options';
import { PodDisruptionBudget } from './pod-disruption-budget';
import { addProxyContainer, CONFIG_KEY, DEFAULT_ADMIN_PORT, DEFAULT_GATEWAY_PORT, DEFAULT_PROXY_RESOURCES, DEFAULT_SIDECAR_PORT, ProxyImage } from './proxy';
import { ProxyBundle, sha256 } from './proxy-bundle';
import { mountTmp, restrictedContainer } from './security';
import { checkAppPorts, checkDnsLabel, checkScaling, checkSubsets, NamedPort } from './validate-props';
import { AppWorkload, WorkloadKind } from './workload-kind';

/** The app's default resources: modest requests, a memory limit, no CPU limit. */
export const DEFAULT_APP_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
};

/** An app behind the cdk8s-balancer proxy. */
export class LoadBalancedApp extends Construct {
  public readonly name: string;
  /** Namespace the DNS names and ConfigMap mounts assume. */
  public readonly namespace: string;
  public readonly clusterDomain: string;
  public readonly replicas?: number;
  public readonly algorithm: Algorithm;
  /** The port the balancer sends traffic to. */
  public readonly balancedPort: NamedPort;
  public readonly ports: readonly NamedPort[];
  /** One workload per subset, in subset order. */
  public readonly workloads: readonly AppWorkload[];
  /** One headless Service per subset, for discovery. */
  public readonly headlessServices: readonly kplus.Service[];
  /** The client-facing Service: the gateway's, or the app's when there is no gateway. */
  public readonly service: AppService;
  public readonly gateway?: kplus.Deployment;
  /** The validated config the gateway runs on. */
  public readonly gatewayConfig?: ProxyConfig;
  /** URL a consumer calls through its sidecar, with the default sidecar port. */
  public readonly sidecarUrl: string;
  public readonly networkPolicy: kplus.NetworkPolicy;
  public readonly autoscalers: readonly kplus.HorizontalPodAutoscaler[];
  public readonly disruptionBudgets: readonly PodDisruptionBudget[];
  public readonly migrationJob?: kplus.Job;
  public readonly smokeTestJob?: kplus.Job;
  /** Kept for {@link addConsumer}. @internal */
  public readonly _proxy: { image: ProxyImage; bundle: ProxyBundle; resources: kplus.ContainerResources; spec: Omit<BalancerConfigSpec, 'listener' | 'adminPort'> };
  /** Namespace written on objects, if any. @internal */
  public readonly _objectNamespace?: string;

  constructor(scope: Construct, id: string, props: LoadBalancedAppProps) {
    super(scope, id);
    this.name = props.name ?? Names.toDnsLabel(this, { maxLen: 40 });
    checkDnsLabel(this, 'name', this.name, 40);
    this._objectNamespace = props.namespace;
    this.namespace = props.namespace ?? Chart.of(this).namespace ?? 'default';
    checkDnsLabel(this, 'namespace', this.namespace, 63);
    this.clusterDomain = props.clusterDomain ?? 'cluster.local';
    this.algorithm = props.algorithm ?? Algorithm.roundRobin();
    const kind = props.workload ?? WorkloadKind.deployment();
    const gatewayOptions = props.gateway === false ? undefined : props.gateway ?? {};
    const gatewayPort = gatewayOptions?.port ?? DEFAULT_GATEWAY_PORT;
    const adminPort = props.proxy?.adminPort ?? DEFAULT_ADMIN_PORT;
    checkPort(this, 'gateway.port', gatewayPort);
    checkPort(this, 'proxy.adminPort', adminPort);
    checkInt(this, 'gateway.replicas', gatewayOptions?.replicas, 1);
    if (gatewayPort === adminPort) invalid(this, 'gateway.port', gatewayPort, `it collides with the proxy's admin port ${adminPort}; choose another gateway.port or proxy.adminPort`);
    // The app's pods never host a proxy, so app ports may equal the proxy's; sidecar collisions are checked in addConsumer.
    this.ports = checkAppPorts(this, props, {});
    const balanced = this.ports.find((p) => p.name === (props.balancedPort ?? this.ports[0].name));
    if (!balanced) invalid(this, 'balancedPort', props.balancedPort, `name one of the ports: ${this.ports.map((p) => p.name).join(', ')}`);
    this.balancedPort = balanced;
    checkScaling(this, props);
    const subsets = checkSubsets(this, props);
    this.replicas = props.autoscaling ? undefined : props.replicas ?? 2;
    const image = props.proxy?.image ?? ProxyImage.node();
    image.check(this);

    const ns = this._objectNamespace;
    const appConfig = props.config ? new HashedConfigMap(this, 'Config', `${this.name}-config`, ns, props.config) : undefined;
    const secret = props.secret?.bind(this, `${this.name}-secret`, ns);
    const envFrom = [...(appConfig ? [kplus.Env.fromConfigMap(appConfig.configMap)] : []), ...(secret ? [kplus.Env.fromSecret(secret)] : [])];
    const appChecksum = sha256(JSON.stringify({ config: appConfig?.hash ?? '', secret: props.secret?.checksum ?? '' }));

    const workloads: AppWorkload[] = [];
    const headless: kplus.Service[] = [];
    const sources: SubsetSource[] = [];
    const autoscalers: kplus.HorizontalPodAutoscaler[] = [];
    const budgets: PodDisruptionBudget[] = [];
    for (const subset of subsets) {
      const single = props.subsets === undefined;
      const base = single ? this.name : `${this.name}-${subset.name}`;
      const idSuffix = single ? '' : `-${subset.name}`;
      const labels = { [LABELS.name]: this.name, [LABELS.component]: 'app', [LABELS.subset]: subset.name };
      const svc = this.headlessService(`Headless${idSuffix}`, `${base}-headless`, labels);
      const replicas = subset.replicas ?? this.replicas;
      const workload = createWorkload(this, `Workload${idSuffix}`, {
        kind,
        name: base,
        namespace: ns,
        labels,
        replicas,
        maxSurge: props.maxSurge ?? 1,
        maxUnavailable: props.maxUnavailable ?? 0,
        revisionHistoryLimit: props.revisionHistoryLimit ?? 5,
        headless: svc,
        user: props.container.securityContext?.user ?? 65532,
        group: props.container.securityContext?.group ?? props.container.securityContext?.user ?? 65532,
        spread: props.spread ?? {},
      });
      this.addAppContainer(workload, props, subset, envFrom);
      podMetadata(workload).addAnnotation(LABELS.checksum, appChecksum);
      if (props.autoscaling && subset.replicas === undefined) {
        const hpa = new kplus.HorizontalPodAutoscaler(this, `Autoscaler${idSuffix}`, {
          metadata: { name: base, namespace: ns },
          target: workload as kplus.IScalable,
          minReplicas: props.autoscaling.minReplicas ?? 2,
          maxReplicas: props.autoscaling.maxReplicas,
          metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(props.autoscaling.cpuUtilization ?? 70))],
        });
        autoscalers.push(hpa);
      }
      if (kind.scalable) {
        budgets.push(new PodDisruptionBudget(this, `Budget${idSuffix}`, { metadata: { name: base, namespace: ns }, selector: labels, ...(props.disruptionBudget ?? {}) }));
      }
      workloads.push(workload);
      headless.push(svc);
      sources.push({ subset: subset.name, weight: subset.weight ?? 1, hostname: `${svc.name}.${this.namespace}.svc.${this.clusterDomain}` });
    }
    this.workloads = workloads;
    this.headlessServices = headless;
    this.autoscalers = autoscalers;
    this.disruptionBudgets = budgets;

    const bundle = ProxyBundle.of(this, this._objectNamespace, props.proxy?.bundleFile);
    const resources = props.proxy?.resources ?? DEFAULT_PROXY_RESOURCES;
    const spec = {
      algorithm: this.algorithm,
      sources,
      upstreamName: this.name,
      upstreamPort: balanced.number,
      healthCheck: props.healthCheck,
      outlierDetection: props.outlierDetection,
      retries: props.retries,
      timeouts: props.timeouts,
      drain: props.proxy?.drain,
      accessLog: props.proxy?.accessLog,
    };
    this._proxy = { image, bundle, resources, spec };
    // Validate once even without a gateway, so a bad algorithm fails synth however the app is consumed.
    const gatewayConfig = buildBalancerConfig(this, { ...spec, listener: { host: '0.0.0.0', port: gatewayPort }, adminPort });
    this.sidecarUrl = `http://127.0.0.1:${DEFAULT_SIDECAR_PORT}`;

    const appSelector = { [LABELS.name]: this.name, [LABELS.component]: 'app' };
    const gatewayConfigMap = new HashedConfigMap(this, 'GatewayConfig', `${this.name}-lb-gateway`, ns, { [CONFIG_KEY]: serializeConfig(gatewayConfig) });
    const proxyChecksum = sha256(JSON.stringify({ config: gatewayConfigMap.hash, bundle: bundle.hash }));
    const proxySpec = { config: gatewayConfigMap.configMap, bundle, image, resources, adminPort, listenerPort: gatewayPort };
    if (gatewayOptions) {
      this.gatewayConfig = gatewayConfig;
      const labels = { [LABELS.name]: this.name, [LABELS.component]: 'gateway' };
      const gateway = createWorkload(this, 'Gateway', {
        kind: WorkloadKind.deployment(),
        name: `${this.name}-gateway`,
        namespace: ns,
        labels,
        replicas: gatewayOptions.replicas ?? 2,
        maxSurge: 1,
        maxUnavailable: 0,
        revisionHistoryLimit: props.revisionHistoryLimit ?? 5,
        user: image.user,
        group: image.group,
        spread: props.spread ?? {},
      }) as kplus.Deployment;
      addProxyContainer(gateway, { ...proxySpec, name: 'proxy', volumePrefix: 'lb', listenerPortName: 'http' });
      gateway.podMetadata.addLabel(accessLabel(this.name), 'true');
      gateway.podMetadata.addAnnotation(LABELS.checksum, proxyChecksum);
      budgets.push(new PodDisruptionBudget(this, 'GatewayBudget', { metadata: { name: `${this.name}-gateway`, namespace: ns }, selector: labels, maxUnavailable: gatewayOptions.maxUnavailable ?? 1 }));
      this.gateway = gateway;
    }
    this.service = this.clientService(props.service ?? {}, gatewayPort, appSelector);

    this.networkPolicy = new kplus.NetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: `${this.name}-app`, namespace: ns },
      selector: kplus.Pods.select(this, 'AppPods', { labels: appSelector }),
      ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    });
    if (this.gateway || props.smokeTest) this._allowBalancers();
    for (const peer of props.allowFrom ?? []) this.allowFrom(peer);

    if (props.migration) {
      const m = props.migration;
      // The name carries what the Job runs, so a new release makes a new Job instead of an immutable-field error.
      const jobHash = sha256(JSON.stringify({ appChecksum, image: m.container.image, command: m.container.command, args: m.container.args }));
      this.migrationJob = createMigrationJob(this, this.jobSpec('migrate', 'migration', appChecksum, jobHash), m, envFrom, { resources: DEFAULT_APP_RESOURCES });
      for (const w of workloads) w.node.addDependency(this.migrationJob);
    }
    if (props.smokeTest) {
      const smokeSpec = this.jobSpec('smoke', 'smoke-test', proxyChecksum, sha256(JSON.stringify({ proxyChecksum, image: image.image })));
      this.smokeTestJob = createSmokeJob(this, { ...smokeSpec, labels: { ...smokeSpec.labels, [accessLabel(this.name)]: 'true' } }, props.smokeTest === true ? {} : props.smokeTest, proxySpec);
      for (const w of [...workloads, ...(this.gateway ? [this.gateway] : [])]) this.smokeTestJob.node.addDependency(w);
    }
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
   * Injects a sidecar proxy into `consumer`, which then calls the app at the returned URL (`http://127.0.0.1:<port>`).
   * Works with Deployments, StatefulSets, DaemonSets, Jobs and Pods of cdk8s-plus in the app's namespace.
   *
   * It adds the `lb-<app>` container with its volumes, the access label the app's NetworkPolicy admits, a checksum
   * annotation, the URL as an env var on the containers present now, and the pod-level seccompProfile RuntimeDefault
   * (cdk8s-plus cannot set it per container). In a Job the sidecar keeps running after the main container exits
   * (Kubernetes 1.27 has no native sidecars), so prefer long-running consumers.
   */
  public addConsumer(consumer: kplus.AbstractPod, options: ConsumerOptions = {}): string {
    const url = injectSidecar(this, consumer, options);
    this._allowBalancers();
    return url;
  }

  /**
   * Lets pods with the access label (gateway, sidecar consumers, smoke test) reach the balanced port. Added once, when
   * the first such pod exists, so that a policy never names pods that are not there. @internal
   */
  public _allowBalancers(): void {
    if (this.node.tryFindChild('BalancerPods')) return;
    const peer = kplus.Pods.select(this, 'BalancerPods', { labels: { [accessLabel(this.name)]: 'true' } });
    this.allowFrom(peer, [this.balancedPort.number]);
  }

  private headlessService(id: string, name: string, labels: Record<string, string>): kplus.Service {
    const svc = new kplus.Service(this, id, {
      metadata: { name, namespace: this._objectNamespace },
      clusterIP: 'None',
      ports: this.ports.map((p) => ({ name: p.name, port: p.number, targetPort: p.number })),
    });
    for (const [k, v] of Object.entries(labels)) svc.selectLabel(k, v);
    // Explicit: DNS must return only ready pods, so the balancer never picks a pod that is starting or draining.
    ApiObject.of(svc).addJsonPatch(JsonPatch.add('/spec/publishNotReadyAddresses', false));
    return svc;
  }

  private clientService(options: ClientServiceOptions, gatewayPort: number, appSelector: Record<string, string>): AppService {
    const nodePorts = options.nodePorts ?? {};
    for (const [portName, n] of Object.entries(nodePorts)) {
      if (!this.ports.some((p) => p.name === portName)) invalid(this, `service.nodePorts.${portName}`, n, `name one of the ports: ${this.ports.map((p) => p.name).join(', ')}`);
      if (!Number.isInteger(n) || n < 1 || n > 65535) invalid(this, `service.nodePorts.${portName}`, n, 'use a node port in the cluster range, usually 30000-32767');
    }
    const ports = this.gateway
      ? [{ name: this.balancedPort.name, port: this.balancedPort.number, targetPort: gatewayPort, nodePort: nodePorts[this.balancedPort.name] }]
      : this.ports.map((p) => ({ name: p.name, port: p.number, targetPort: p.number, nodePort: nodePorts[p.name] }));
    return new AppService(this, 'Service', {
      metadata: { name: this.name, namespace: this._objectNamespace },
      selector: this.gateway ? { [LABELS.name]: this.name, [LABELS.component]: 'gateway' } : appSelector,
      ports,
      type: options.type,
      sessionAffinity: options.sessionAffinity,
      sessionAffinityTimeout: options.sessionAffinityTimeout,
      externalTrafficPolicy: options.externalTrafficPolicy,
    });
  }

  private addAppContainer(workload: AppWorkload, props: LoadBalancedAppProps, subset: SubsetOptions, envFrom: kplus.EnvFrom[]): void {
    const port = this.balancedPort.number;
    const hc = props.healthCheck;
    const probe = (period: number, failures: number) =>
      hc
        ? kplus.Probe.fromHttpGet(hc.path ?? '/', { port, periodSeconds: Duration.seconds(period), failureThreshold: failures })
        : kplus.Probe.fromTcpSocket({ port, periodSeconds: Duration.seconds(period), failureThreshold: failures });
    const user = props.container.securityContext?.user ?? 65532;
    const group = props.container.securityContext?.group ?? user;
    const env: Record<string, kplus.EnvValue> = { ...(props.container.envVariables ?? {}) };
    for (const [k, v] of Object.entries(subset.env ?? {})) env[k] = kplus.EnvValue.fromValue(v);
    const container = workload.addContainer({
      name: 'app',
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      resources: DEFAULT_APP_RESOURCES,
      readiness: probe(5, 2),
      liveness: probe(10, 3),
      startup: probe(2, 30),
      ...props.container,
      image: subset.image ?? props.container.image,
      envVariables: env,
      envFrom: [...(props.container.envFrom ?? []), ...envFrom],
      securityContext: { ...restrictedContainer(user, group), readOnlyRootFilesystem: props.container.securityContext?.readOnlyRootFilesystem ?? true },
    });
    mountTmp(workload, container, 'tmp');
  }

  private jobSpec(suffix: string, component: string, checksum: string, nameHash: string) {
    return {
      name: `${this.name}-${suffix}-${nameHash.slice(0, 10)}`,
      namespace: this._objectNamespace,
      labels: { [LABELS.name]: this.name, [LABELS.component]: component },
      annotations: { [LABELS.checksum]: checksum },
    };
  }
}
