/**
 * The client-facing Service, named like the app: the gateway's when there is one, else the app's own.
 */
import { Construct } from 'constructs';
import { AppIngress } from '../app-ingress';
import { AppService, AppServicePort } from '../app-service';
import type { ResolvedAppProps } from '../resolved-props';
import { guarded } from './checks';

/** Creates the client-facing Service under `scope` with the id `Service`. */
export function createClientService(scope: Construct, app: ResolvedAppProps, selector: Record<string, string>, ports: AppServicePort[]): AppService {
  const options = app.service;
  return guarded(scope, 'service', options, () =>
    new AppService(scope, 'Service', {
      metadata: { name: app.name, namespace: app.objectNamespace },
      selector,
      ports,
      type: options.type,
      sessionAffinity: options.sessionAffinity,
      sessionAffinityTimeout: options.sessionAffinityTimeout,
      externalTrafficPolicy: options.externalTrafficPolicy,
    }),
  );
}

/** The ports of the app's own client-facing Service (no gateway): the balanced one says what the pods speak. */
export function appClientPorts(p: ResolvedAppProps): AppServicePort[] {
  const appProtocol = p.protocol.appProtocol(p.backendTls !== undefined);
  return p.ports.map((port) => ({
    name: port.name,
    port: port.number,
    targetPort: port.number,
    nodePort: p.service.nodePorts?.[port.name],
    appProtocol: port.name === p.balancedPort.name ? appProtocol : undefined,
  }));
}

/**
 * The Ingress to the client-facing Service, with the id `Ingress`. ingress-nginx speaks HTTP/1.1 to a Service unless
 * told otherwise: gRPC needs HTTP/2 end to end (GRPC, or GRPCS to a TLS port), and a TLS port needs HTTPS.
 */
export function createAppIngress(scope: Construct, p: ResolvedAppProps, ingress: NonNullable<ResolvedAppProps['ingress']>, serviceName: string, tls: boolean): AppIngress {
  const backendProtocol = p.protocol.kind === 'grpc' ? (tls ? 'GRPCS' : 'GRPC') : tls ? 'HTTPS' : undefined;
  return new AppIngress(scope, 'Ingress', {
    ...ingress,
    metadata: { name: p.name, namespace: p.objectNamespace },
    serviceName,
    servicePort: p.balancedPort.number,
    backendProtocol,
  });
}
