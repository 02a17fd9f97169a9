/**
 * A Service L2 over `k8s.KubeService` with the fields cdk8s-plus-27's Service lacks: sessionAffinity with its
 * timeout, externalTrafficPolicy and publishNotReadyAddresses.
 */
import { ApiObjectMetadata, Duration, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { Construct } from 'constructs';
import { ExternalTrafficPolicy, SessionAffinity } from './enums';
import { invalid } from './internal/checks';
import { DEFAULTS } from './internal/defaults';
import { checkNodePort, checkServiceFields } from './internal/service-checks';

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

/** One named port of an {@link AppService}. */
export interface AppServicePort {
  /** Port name, an IANA_SVC_NAME. */
  readonly name: string;
  /** Port the Service listens on. */
  readonly port: number;
  /** Port on the pods, by number. */
  readonly targetPort: number;
  /**
   * Node port for NodePort and LoadBalancer Services.
   * @default - allocated by Kubernetes
   */
  readonly nodePort?: number;
  /**
   * The application protocol, e.g. `kubernetes.io/h2c`, for proxies and load balancers that read it.
   * @default - none
   */
  readonly appProtocol?: string;
}

/** Props of {@link AppService}. */
export interface AppServiceProps {
  /**
   * Metadata of the Service.
   * @default - a generated name
   */
  readonly metadata?: ApiObjectMetadata;
  /** Pod labels the Service selects. */
  readonly selector: Record<string, string>;
  /** Ports; at least one. */
  readonly ports: AppServicePort[];
  /**
   * Service type.
   * @default kplus.ServiceType.CLUSTER_IP
   */
  readonly type?: kplus.ServiceType;
  /**
   * Headless: no cluster IP, DNS returns one record per ready pod.
   * @default false
   */
  readonly headless?: boolean;
  /**
   * Session affinity.
   * @default SessionAffinity.NONE
   */
  readonly sessionAffinity?: SessionAffinity;
  /**
   * How long ClientIP affinity lasts.
   * @default - Kubernetes' 3 hours, when affinity is ClientIP
   */
  readonly sessionAffinityTimeout?: Duration;
  /**
   * External traffic policy, for NodePort and LoadBalancer Services only.
   * @default ExternalTrafficPolicy.CLUSTER - for NodePort and LoadBalancer; unset for the other types
   */
  readonly externalTrafficPolicy?: ExternalTrafficPolicy;
  /**
   * List addresses of pods that are not ready.
   * @default false
   */
  readonly publishNotReadyAddresses?: boolean;
}

/** A Service with every field the balancer needs. The primary child is `Resource`. */
export class AppService extends Construct {
  public readonly type: kplus.ServiceType;
  public readonly sessionAffinity: SessionAffinity;
  public readonly externalTrafficPolicy?: ExternalTrafficPolicy;
  public readonly publishNotReadyAddresses: boolean;
  public readonly headless: boolean;
  /** The Service's name. */
  public readonly name: string;
  private readonly apiObject: k8s.KubeService;
  private readonly ports: AppServicePort[];

  constructor(scope: Construct, id: string, private readonly props: AppServiceProps) {
    super(scope, id);
    const D = DEFAULTS.AppServiceProps;
    this.type = props.type ?? D.type;
    this.headless = props.headless ?? D.headless;
    this.sessionAffinity = props.sessionAffinity ?? D.sessionAffinity;
    const external = this.type === kplus.ServiceType.NODE_PORT || this.type === kplus.ServiceType.LOAD_BALANCER;
    this.externalTrafficPolicy = external ? props.externalTrafficPolicy ?? D.externalTrafficPolicy : undefined;
    this.publishNotReadyAddresses = props.publishNotReadyAddresses ?? D.publishNotReadyAddresses;
    checkServiceFields(this, '', props);
    this.ports = [];
    props.ports.forEach((p) => this.addPort(p));
    this.apiObject = new k8s.KubeService(this, 'Resource', {
      metadata: props.metadata,
      spec: Lazy.any({ produce: () => this.toKube() }),
    });
    this.name = this.apiObject.name;
  }

  /** Adds a port; later calls reach the manifest because the spec renders lazily. Throws for a node port the type cannot take. */
  public addPort(port: AppServicePort): void {
    const what = `ports[${this.ports.length}]`;
    if (this.ports.some((p) => p.name === port.name)) invalid(this, `${what}.name`, port.name, 'give each port its own name');
    checkNodePort(this, `${what}.nodePort`, port.nodePort, this.type, 'type');
    this.ports.push(port);
  }

  private toKube(): k8s.ServiceSpec {
    const timeout = this.props.sessionAffinityTimeout;
    return {
      type: this.type,
      clusterIp: this.headless ? 'None' : undefined,
      selector: { ...this.props.selector },
      ports: this.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: k8s.IntOrString.fromNumber(p.targetPort),
        nodePort: p.nodePort,
        appProtocol: p.appProtocol,
        protocol: 'TCP',
      })),
      sessionAffinity: this.sessionAffinity,
      sessionAffinityConfig:
        this.sessionAffinity === SessionAffinity.CLIENT_IP && timeout
          ? { clientIp: { timeoutSeconds: timeout.toSeconds() } }
          : undefined,
      externalTrafficPolicy: this.externalTrafficPolicy,
      publishNotReadyAddresses: this.publishNotReadyAddresses,
    };
  }
}
