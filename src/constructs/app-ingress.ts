/**
 * An Ingress (networking.k8s.io/v1) in front of the app's client-facing Service, for clusters with an ingress
 * controller: one rule (host, path prefix) to one Service port, optional TLS at the controller, and the
 * backend-protocol annotation that keeps gRPC (HTTP/2 with trailers) and TLS intact through ingress-nginx.
 * Written over `k8s.KubeIngress`: cdk8s-plus-27's Ingress wants its own Service construct as the backend.
 */
import { ApiObjectMetadata, Lazy } from 'cdk8s';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { Construct, IConstruct } from 'constructs';
import { dns1123SubdomainProblem, ingressHostProblem, ingressPathProblem, labelKeyProblem } from '../internal/k8s-names';
import { invalid } from './internal/checks';
import { DEFAULTS } from './internal/defaults';

/** The annotation ingress-nginx reads to choose how it speaks to the Service. */
export const NGINX_BACKEND_PROTOCOL = 'nginx.ingress.kubernetes.io/backend-protocol';

/** The app's Ingress, as an app prop. */
export interface IngressOptions {
  /**
   * The host name the rule matches, e.g. `greeter.example.com` (a leading `*.` is allowed).
   * @default - every host
   */
  readonly host?: string;
  /**
   * Path prefix (pathType Prefix) routed to the app. For gRPC, `/` or `/<package>.<Service>`.
   * @default '/'
   */
  readonly path?: string;
  /**
   * A `kubernetes.io/tls` Secret in the app's namespace that the controller terminates TLS with, for `host`
   * (cert-manager can make it). gRPC clients need TLS here with most controllers, since they speak h2 only by ALPN.
   * @default - no TLS at the ingress controller
   */
  readonly tlsSecretName?: string;
  /**
   * The IngressClass, e.g. `nginx`.
   * @default - the cluster's default IngressClass
   */
  readonly ingressClassName?: string;
  /**
   * Extra annotations for your controller; yours win over ours.
   * @default - only `nginx.ingress.kubernetes.io/backend-protocol`, for gRPC apps and TLS to the Service
   */
  readonly annotations?: Record<string, string>;
}

/** Props of {@link AppIngress}. */
export interface AppIngressProps extends IngressOptions {
  /**
   * Metadata.
   * @default - a generated name
   */
  readonly metadata?: ApiObjectMetadata;
  /** Name of the Service the rule sends to. */
  readonly serviceName: string;
  /** Port of that Service, by number. */
  readonly servicePort: number;
  /**
   * How the controller speaks to the Service: `GRPC`, `GRPCS`, `HTTPS`, as ingress-nginx names them.
   * @default - none: the controller's default, HTTP/1.1
   */
  readonly backendProtocol?: string;
}

/** An Ingress with one rule to one Service port. The primary child is `Resource`. */
export class AppIngress extends Construct {
  public readonly host?: string;
  public readonly path: string;
  public readonly annotations: Readonly<Record<string, string>>;
  /** The Ingress's name. */
  public readonly name: string;

  constructor(scope: Construct, id: string, private readonly props: AppIngressProps) {
    super(scope, id);
    this.host = props.host;
    this.path = props.path ?? DEFAULTS.IngressOptions.path;
    checkIngressOptions(this, '', { ...props, path: this.path });
    this.annotations = {
      ...(props.backendProtocol !== undefined ? { [NGINX_BACKEND_PROTOCOL]: props.backendProtocol } : {}),
      ...(props.annotations ?? {}),
    };
    const resource = new k8s.KubeIngress(this, 'Resource', {
      metadata: { ...props.metadata, annotations: { ...props.metadata?.annotations, ...this.annotations } },
      spec: Lazy.any({ produce: () => this.toKube() }),
    });
    this.name = resource.name;
  }

  private toKube(): k8s.IngressSpec {
    const p = this.props;
    return {
      ingressClassName: p.ingressClassName,
      tls: p.tlsSecretName === undefined ? undefined : [{ hosts: p.host === undefined ? undefined : [p.host], secretName: p.tlsSecretName }],
      rules: [
        {
          host: p.host,
          http: {
            paths: [
              {
                path: this.path,
                pathType: 'Prefix',
                backend: { service: { name: p.serviceName, port: { number: p.servicePort } } },
              },
            ],
          },
        },
      ],
    };
  }
}

/** The Ingress fields the API server checks in code; `prefix` is how the user wrote them, e.g. `ingress.`. */
export function checkIngressOptions(scope: IConstruct, prefix: string, o: IngressOptions): void {
  const problem = (what: string, value: string | undefined, check: (v: string) => string | undefined, fix: string): void => {
    const p = value === undefined ? undefined : check(value);
    if (p !== undefined) invalid(scope, `${prefix}${what}`, value, `it ${p}; ${fix}`);
  };
  problem('host', o.host, ingressHostProblem, 'give a DNS name such as "greeter.example.com", or leave it out to match every host');
  problem('path', o.path, ingressPathProblem, 'give a path prefix such as "/" or "/helloworld.Greeter"');
  problem('tlsSecretName', o.tlsSecretName, dns1123SubdomainProblem, 'name the kubernetes.io/tls Secret as it exists in the namespace');
  problem('ingressClassName', o.ingressClassName, dns1123SubdomainProblem, 'name an IngressClass of the cluster, e.g. "nginx"');
  for (const key of Object.keys(o.annotations ?? {})) {
    problem('annotations', key, labelKeyProblem, 'use a key such as "nginx.ingress.kubernetes.io/proxy-body-size"');
  }
}
