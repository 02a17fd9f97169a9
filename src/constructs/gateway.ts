/**
 * Gateway: a Deployment of proxies in front of the app, with its config, its disruption budget and the client-facing
 * Service, its optional autoscaler, where Prometheus finds its metrics, and its TLS.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { ProxyConfig } from '../config';
import { AppService } from './app-service';
import type { AutoscalingOptions } from './app-subset';
import type { DiscoveryBinding } from './discovery';
import type { GatewayTls } from './gateway-tls';
import { serializeConfig } from './internal/balancer-config';
import { createClientService } from './internal/client-service';
import { HashedConfigMap } from './internal/hashed-config-map';
import { addScrapeAnnotations, PodMonitor } from './internal/observability';
import { accessLabel, componentLabels, LABELS } from './internal/labels';
import {
  ADMIN_PORT_NAME, addProxyContainer, backendCaMounts, CONFIG_KEY, gatewayTlsMount, proxyChecksum, proxyGracePeriodSeconds,
} from './internal/proxy-container';
import { ProxyBundle } from './internal/proxy-bundle';
import { podApiAccess } from './internal/security';
import { createWorkload } from './internal/workloads';
import { PodDisruptionBudget } from './pod-disruption-budget';
import type { ResolvedAppProps, ResolvedGateway } from './resolved-props';
import { WorkloadKind } from './workload-kind';

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
   * Pods that may be down during a voluntary disruption: at least 1, and below the replicas (or the autoscaler's
   * minReplicas) when there are two or more.
   * @default 1
   */
  readonly maxUnavailable?: number;
  /**
   * Horizontal autoscaling of the gateway on CPU (autoscaling/v2), like the app's. The Deployment then sets no
   * replicas; give `replicas` or this, not both.
   * @default - none: `replicas` proxies
   */
  readonly autoscaling?: AutoscalingOptions;
  /**
   * TLS at the gateway: the proxies terminate TLS (ALPN h2 and http/1.1) with the certificate and key of a
   * `kubernetes.io/tls` Secret, mounted read-only, and pick up a rotated pair without a restart. Not for
   * Protocol.tcp(), which passes bytes (and a client's TLS) through untouched.
   * @default - none: plain text (h2c and HTTP/1.1)
   */
  readonly tls?: GatewayTls;
  /**
   * Close each client connection after about this age (HTTP/2: GOAWAY, then the client reconnects; HTTP/1.1:
   * `Connection: close` on the next answer), shortened by up to 10 % at random so clients do not reconnect in step.
   * Clients that reach the gateway through one L4 VIP (kube-proxy, a cloud load balancer) then spread over the
   * gateway's proxies again after a scale-out. Not for Protocol.tcp().
   * @default - none: connections live as long as client and idle timeout allow
   */
  readonly maxConnectionAge?: Duration;
  /**
   * Where Prometheus finds the proxies' /metrics, served on the admin port (named `admin`).
   * @default - a metrics Service and prometheus.io annotations; no PodMonitor
   */
  readonly metrics?: GatewayMetricsOptions;
}

/**
 * How Prometheus finds the gateway proxies' /metrics. The app's NetworkPolicy selects only the app's pods, so the
 * admin port is reachable for scraping unless your cluster denies ingress by default; then allow your Prometheus to
 * the admin port (`proxy.adminPort`) of the pods labelled `app.kubernetes.io/component: gateway` yourself.
 */
export interface GatewayMetricsOptions {
  /**
   * A ClusterIP Service `<name>-gateway-metrics` with one port, `metrics`, on the admin port of the gateway's pods.
   * @default true
   */
  readonly service?: boolean;
  /**
   * `prometheus.io/scrape`, `prometheus.io/port` and `prometheus.io/path` annotations on the gateway's pods.
   * @default true
   */
  readonly scrapeAnnotations?: boolean;
  /**
   * A PodMonitor (monitoring.coreos.com/v1) named `<name>-gateway` for prometheus-operator; its CRD must exist in the
   * cluster. Validate with `allowKinds: ['monitoring.coreos.com/v1/PodMonitor']`.
   * @default false
   */
  readonly podMonitor?: boolean;
  /**
   * Labels of the PodMonitor, such as the `release` label your Prometheus selects monitors by.
   * @default - none
   */
  readonly podMonitorLabels?: Record<string, string>;
}

/** Props of {@link Gateway}. */
export interface GatewayProps {
  /** The app's props, resolved. */
  readonly app: ResolvedAppProps;
  /** The gateway, resolved. */
  readonly gateway: ResolvedGateway;
  /** The validated proxy config the gateway runs; its listener is the gateway's port. */
  readonly config: ProxyConfig;
  /** The subsets' discovery bindings, which decide whether the proxies reach the Kubernetes API. */
  readonly discovery: readonly DiscoveryBinding[];
}

/**
 * The gateway. Its primary child, the Deployment, has the id `Default`: constructs leave a `Default` out of construct
 * addresses, so the pods keep the `cdk8s.io/metadata.addr` label they had before the gateway was its own construct.
 */
export class Gateway extends Construct {
  /** The proxy Deployment. */
  public readonly deployment: kplus.Deployment;
  /** The config the proxies run. */
  public readonly config: ProxyConfig;
  /** The immutable ConfigMap holding the config, named by its hash. */
  public readonly configMap: kplus.ConfigMap;
  /** A sha256 of the config and the proxy bundle, on the pod template, so that a change of either rolls the pods. */
  public readonly checksum: string;
  public readonly disruptionBudget: PodDisruptionBudget;
  /** The autoscaler, when `gateway.autoscaling` is set. */
  public readonly autoscaler?: kplus.HorizontalPodAutoscaler;
  /** The Service in front of the proxies' admin port, unless `gateway.metrics.service` is false. */
  public readonly metricsService?: AppService;
  /** The client-facing Service, which selects the gateway's pods. */
  public readonly service: AppService;
  /** The TLS Secret the chart creates from `GatewayTls.fromAppSecret(AppSecret.fromValues(...))`, if any. */
  public readonly tlsSecret?: kplus.ISecret;
  private readonly bundle: ProxyBundle;

  constructor(scope: Construct, id: string, props: GatewayProps) {
    super(scope, id);
    const { app, gateway } = props;
    this.config = props.config;
    const config = new HashedConfigMap(this, 'Config', `${app.name}-lb-gateway`, app.objectNamespace, { [CONFIG_KEY]: serializeConfig(props.config) });
    this.configMap = config.configMap;
    this.bundle = ProxyBundle.forApp(this, app);
    // Not in the checksum: the proxy reloads a changed pair from the mounted files, so a rotation rolls no pod.
    this.tlsSecret = gateway.tls?.appSecret?.bind(this, gateway.tls.secretName, app.objectNamespace);
    this.checksum = proxyChecksum(config, this.bundle);
    const labels = componentLabels(app.name, 'gateway');
    this.deployment = this.createDeployment(props, labels);
    this.disruptionBudget = new PodDisruptionBudget(this, 'Budget', {
      metadata: { name: `${app.name}-gateway`, namespace: app.objectNamespace },
      selector: labels,
      maxUnavailable: gateway.maxUnavailable,
    });
    if (gateway.autoscaling) {
      this.autoscaler = new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
        metadata: { name: `${app.name}-gateway`, namespace: app.objectNamespace },
        target: this.deployment,
        minReplicas: gateway.autoscaling.minReplicas,
        maxReplicas: gateway.autoscaling.maxReplicas,
        metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(gateway.autoscaling.cpuUtilization))],
      });
    }
    this.metricsService = this.addMetrics(app, gateway, labels);
    const port = app.balancedPort;
    const nodePort = app.service.nodePorts?.[port.name];
    this.service = createClientService(this, app, labels, [
      { name: port.name, port: port.number, targetPort: gateway.port, nodePort, appProtocol: app.protocol.appProtocol(gateway.tls !== undefined) },
    ]);
  }

  private addMetrics(app: ResolvedAppProps, gateway: ResolvedGateway, labels: Record<string, string>): AppService | undefined {
    const { metrics } = gateway;
    const adminPort = app.proxy.adminPort;
    if (metrics.scrapeAnnotations) addScrapeAnnotations(this.deployment.podMetadata, adminPort);
    if (metrics.podMonitor) {
      new PodMonitor(this, 'PodMonitor', {
        metadata: { name: `${app.name}-gateway`, namespace: app.objectNamespace, labels: { ...metrics.podMonitorLabels } },
        selector: labels,
        portName: ADMIN_PORT_NAME,
      });
    }
    if (!metrics.service) return undefined;
    return new AppService(this, 'MetricsService', {
      metadata: { name: `${app.name}-gateway-metrics`, namespace: app.objectNamespace },
      selector: labels,
      ports: [{ name: 'metrics', port: adminPort, targetPort: adminPort }],
    });
  }

  private createDeployment(props: GatewayProps, labels: Record<string, string>): kplus.Deployment {
    const { app, gateway } = props;
    const image = app.proxy.image;
    const deployment = createWorkload(this, 'Default', {
      kind: WorkloadKind.deployment(),
      name: `${app.name}-gateway`,
      namespace: app.objectNamespace,
      labels,
      replicas: gateway.replicas,
      // One extra proxy at a time, none missing: the gateway serves every request of the app.
      maxSurge: 1,
      maxUnavailable: 0,
      revisionHistoryLimit: app.revisionHistoryLimit,
      user: image.user,
      group: image.group,
      spread: app.spread,
      apiAccess: podApiAccess(props.discovery),
      terminationGracePeriod: Duration.seconds(proxyGracePeriodSeconds(props.config)),
    }) as kplus.Deployment;
    addProxyContainer(deployment, {
      name: 'proxy',
      volumePrefix: 'lb',
      config: this.configMap,
      bundle: this.bundle,
      image,
      resources: app.proxy.resources,
      adminPort: app.proxy.adminPort,
      listenerPort: gateway.port,
      listenerPortName: app.protocol.listenerPortName(gateway.tls !== undefined),
      adminPortName: ADMIN_PORT_NAME,
      mounts: [...(gateway.tls ? [gatewayTlsMount(gateway.tls.secretName)] : []), ...backendCaMounts(app.backendTls)],
    });
    deployment.podMetadata.addLabel(accessLabel(app.name), 'true');
    deployment.podMetadata.addAnnotation(LABELS.checksum, this.checksum);
    return deployment;
  }
}
