/**
 * AppSubset: one subset of the app's pods, with its workload, its headless Service (what discovery resolves), its
 * autoscaler and its disruption budget. `LoadBalancedApp` makes one per subset.
 */
import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { DiscoveryBinding } from './discovery';
import { guarded } from './internal/checks';
import { DEFAULTS } from './internal/defaults';
import { LABELS, subsetLabels } from './internal/labels';
import { mountTmp, podApiAccess, podSpecPointer, restrictedContainer } from './internal/security';
import { createWorkload, podMetadata } from './internal/workloads';
import { PodDisruptionBudget } from './pod-disruption-budget';
import type { ResolvedAppProps, ResolvedSubset } from './resolved-props';
import type { AppWorkload } from './workload-kind';

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
   * Weight of each endpoint (pod) of this subset, a number > 0, for the weight-aware algorithms (weighted round robin,
   * random, least connections, consistent hashing): a pod of weight 2 takes twice the requests of a pod of weight 1.
   * It is per pod, so a subset's total share grows with its pod count; for a share of traffic per subset (a canary
   * at 10 %), use the app's `trafficSplit`.
   * @default 1
   */
  readonly weight?: number;
  /**
   * Extra plain environment variables for this subset (never secrets: use the app's `secret`).
   * @default - none
   */
  readonly env?: Record<string, string>;
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

/** Props of {@link AppSubset}. */
export interface AppSubsetProps {
  /** The app's props, resolved. */
  readonly app: ResolvedAppProps;
  /** This subset, resolved. */
  readonly subset: ResolvedSubset;
  /**
   * Environment sources of the app's ConfigMap and Secret.
   * @default - none
   */
  readonly envFrom?: readonly kplus.EnvFrom[];
  /**
   * Checksum of what the app's pods run on (config, secret hashes), so that a change rolls them.
   * @default - no checksum annotation
   */
  readonly checksum?: string;
}

/**
 * One subset of the app's pods. Its primary child, the workload, has the id `Default`: constructs leave a `Default`
 * out of construct addresses, so the pods keep the `cdk8s.io/metadata.addr` label they had before the subset existed.
 */
export class AppSubset extends Construct {
  /** The subset's name. */
  public readonly name: string;
  /** Weight of each endpoint; undefined leaves the proxy config's default. */
  public readonly weight?: number;
  /** Replicas of the workload; undefined when autoscaled. */
  public readonly replicas?: number;
  /** The headless Service whose DNS lists the subset's ready pods. */
  public readonly headlessService: kplus.Service;
  /** The fully qualified DNS name of the headless Service. */
  public readonly headlessServiceHost: string;
  /** The workload running the subset's pods. */
  public readonly workload: AppWorkload;
  /** The autoscaler, when the app is autoscaled and the subset sets no replicas. */
  public readonly autoscaler?: kplus.HorizontalPodAutoscaler;
  /** The disruption budget; a bare Pod has none. */
  public readonly disruptionBudget?: PodDisruptionBudget;
  /** What the app's discovery gives this subset: its source in the proxy config. */
  public readonly discovery: DiscoveryBinding;
  /** The app's props, resolved, as the subset was built from them. */
  public readonly appProps: ResolvedAppProps;

  constructor(scope: Construct, id: string, props: AppSubsetProps) {
    super(scope, id);
    const { app, subset } = props;
    this.appProps = app;
    this.name = subset.name;
    this.weight = subset.weight;
    this.replicas = subset.replicas;
    const labels = subsetLabels(app.name, subset.name);
    this.headlessService = this.createHeadlessService(app, subset.headlessServiceName, labels);
    this.headlessServiceHost = `${this.headlessService.name}.${app.dnsNamespace}.svc.${app.clusterDomain}`;
    this.workload = guarded(this, 'maxSurge and maxUnavailable', { maxSurge: app.maxSurge, maxUnavailable: app.maxUnavailable }, () =>
      createWorkload(this, 'Default', {
        kind: app.workload,
        name: subset.objectName,
        namespace: app.objectNamespace,
        labels,
        replicas: subset.replicas,
        maxSurge: app.maxSurge,
        maxUnavailable: app.maxUnavailable,
        revisionHistoryLimit: app.revisionHistoryLimit,
        headless: this.headlessService,
        user: app.user,
        group: app.group,
        spread: app.spread,
        apiAccess: podApiAccess(),
      }),
    );
    guarded(this, 'container', app.container, () => this.addAppContainer(app, subset, props.envFrom ?? []));
    if (props.checksum !== undefined) podMetadata(this.workload).addAnnotation(LABELS.checksum, props.checksum);
    if (subset.autoscaled && app.autoscaling) {
      this.autoscaler = new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
        metadata: { name: subset.objectName, namespace: app.objectNamespace },
        target: this.workload as kplus.IScalable,
        minReplicas: app.autoscaling.minReplicas,
        maxReplicas: app.autoscaling.maxReplicas,
        metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(app.autoscaling.cpuUtilization))],
      });
    }
    if (app.workload.scalable) {
      this.disruptionBudget = new PodDisruptionBudget(this, 'Budget', {
        metadata: { name: subset.objectName, namespace: app.objectNamespace },
        selector: labels,
        ...app.disruptionBudget,
      });
    }
    this.discovery = app.discovery.bind(this, this);
  }

  private createHeadlessService(app: ResolvedAppProps, name: string, labels: Record<string, string>): kplus.Service {
    const svc = new kplus.Service(this, 'Headless', {
      metadata: { name, namespace: app.objectNamespace },
      clusterIP: 'None',
      ports: app.ports.map((p) => ({ name: p.name, port: p.number, targetPort: p.number })),
    });
    for (const [k, v] of Object.entries(labels)) svc.selectLabel(k, v);
    // Explicit: DNS must return only ready pods, so the balancer never picks a pod that is starting or draining.
    ApiObject.of(svc).addJsonPatch(JsonPatch.add('/spec/publishNotReadyAddresses', false));
    // What the proxy speaks to the pods, for meshes that read it (cdk8s-plus-27's Service ports have no field for it).
    const appProtocol = app.protocol.appProtocol(app.backendTls !== undefined);
    const index = app.ports.findIndex((p) => p.name === app.balancedPort.name);
    if (appProtocol !== undefined) ApiObject.of(svc).addJsonPatch(JsonPatch.add(`/spec/ports/${index}/appProtocol`, appProtocol));
    return svc;
  }

  /** The app container: our defaults, then the user's fields, then what we must own (image, env, security). */
  private addAppContainer(app: ResolvedAppProps, subset: ResolvedSubset, envFrom: readonly kplus.EnvFrom[]): void {
    const port = app.balancedPort.number;
    const probe = (period: number, failures: number) => {
      const options = { port, periodSeconds: Duration.seconds(period), failureThreshold: failures };
      if (app.probePath === undefined) return kplus.Probe.fromTcpSocket(options);
      // The kubelet does not verify the pod's certificate: the HTTPS scheme is enough for a TLS port.
      const scheme = app.backendTls ? kplus.ConnectionScheme.HTTPS : undefined;
      return kplus.Probe.fromHttpGet(app.probePath, { ...options, scheme });
    };
    const env: Record<string, kplus.EnvValue> = { ...(app.container.envVariables ?? {}) };
    for (const [k, v] of Object.entries(subset.env)) env[k] = kplus.EnvValue.fromValue(v);
    const container = this.workload.addContainer({
      name: 'app',
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      resources: DEFAULTS.AppContainer.resources,
      readiness: probe(5, 2),
      liveness: probe(10, 3),
      startup: probe(2, 30),
      ...app.container,
      image: subset.image,
      envVariables: env,
      envFrom: [...(app.container.envFrom ?? []), ...envFrom],
      securityContext: {
        ...restrictedContainer(app.user, app.group),
        readOnlyRootFilesystem: app.container.securityContext?.readOnlyRootFilesystem ?? true,
      },
    });
    mountTmp(this.workload, container, 'tmp');
    this.useGrpcProbes(app);
  }

  /**
   * A gRPC app checked by grpc.health.v1 gets the kubelet's gRPC probes (GA in 1.27) for the same service instead of
   * TCP connects, unless its pods serve TLS (the kubelet's gRPC probe speaks h2c only) or it sets its own probes.
   * cdk8s-plus-27 cannot write a gRPC probe, hence the patch of the app container (the first).
   */
  private useGrpcProbes(app: ResolvedAppProps): void {
    if (app.protocol.kind !== 'grpc' || app.healthCheck === undefined || app.backendTls !== undefined) return;
    const obj = ApiObject.of(this.workload);
    const service = app.healthCheck.grpcService ? { service: app.healthCheck.grpcService } : {};
    const given = { readinessProbe: app.container.readiness, livenessProbe: app.container.liveness, startupProbe: app.container.startup };
    for (const [field, own] of Object.entries(given)) {
      if (own !== undefined) continue;
      const at = `${podSpecPointer(obj.kind)}/containers/0/${field}`;
      obj.addJsonPatch(JsonPatch.remove(`${at}/tcpSocket`), JsonPatch.add(`${at}/grpc`, { port: app.balancedPort.number, ...service }));
    }
  }
}
