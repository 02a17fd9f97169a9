/**
 * The props that depend on the protocol, resolved and checked once: what health checks, algorithms, TLS, a
 * connection age, an Ingress and a smoke test can mean for HTTP, HTTP/2, gRPC and TCP. The config schema would
 * refuse some of these too (a tcp listener has no `tls` field); checked here first, they name the prop and the fix.
 */
import { IConstruct } from 'constructs';
import { checkIngressOptions } from '../app-ingress';
import type { BackendTls } from '../backend-tls';
import type { LoadBalancedAppProps } from '../load-balanced-app';
import type { Protocol } from '../protocol';
import type { ResolvedAppProps } from '../resolved-props';
import { configMapKeyProblem, dns1123SubdomainProblem } from '../../internal/k8s-names';
import { invalid } from './checks';
import { DEFAULTS } from './defaults';

type ProtocolProps = Pick<ResolvedAppProps, 'protocol' | 'healthCheck' | 'probePath' | 'backendTls' | 'ingress'>;

const TCP_HINT = 'Protocol.tcp() balances connections and passes bytes untouched';

/** Resolves the protocol and what hangs on it; `gateway` props are checked by resolveGateway with the protocol. */
export function resolveProtocolProps(app: IConstruct, props: LoadBalancedAppProps, protocol: Protocol): ProtocolProps {
  const hc = props.healthCheck;
  if (hc?.path !== undefined && (protocol.kind === 'grpc' || protocol.kind === 'tcp')) {
    const fix = protocol.kind === 'grpc'
      ? 'gRPC apps are checked with grpc.health.v1.Health/Check: replace path with grpcService (e.g. "helloworld.Greeter", or "" for the whole server)'
      : `${TCP_HINT}, so health is a TCP connect: drop healthCheck.path (interval and thresholds still apply)`;
    invalid(app, `healthCheck.path with Protocol.${protocol.kind}()`, hc.path, fix);
  }
  if (hc?.grpcService !== undefined && protocol.kind !== 'grpc') {
    invalid(app, `healthCheck.grpcService with Protocol.${protocol.kind}()`, hc.grpcService, 'grpcService names the service of a gRPC health check: use Protocol.grpc(), or give healthCheck.path for an HTTP check');
  }
  if (protocol.kind === 'tcp') checkTcp(app, props);
  // A TCP smoke test opens connections (the proxy's connect decides); an HTTP one sends GETs, which gRPC cannot answer.
  if (props.smokeTest && protocol.kind === 'grpc') {
    invalid(app, 'smokeTest with Protocol.grpc()', props.smokeTest, 'the smoke test sends HTTP/1.1 GETs through the balancer, which a gRPC server cannot answer; drop smokeTest');
  }
  const D = DEFAULTS.HealthCheckOptions;
  return {
    protocol,
    healthCheck: hc,
    probePath: hc && protocol.kind === 'http' ? hc.path ?? D.path : undefined,
    backendTls: props.backendTls && checkBackendTls(app, props.backendTls),
    ingress: props.ingress && resolveIngress(app, props),
  };
}

/** What L4 cannot do: read a header or cookie, terminate TLS, age out requests, or sit behind an HTTP Ingress. */
function checkTcp(app: IConstruct, props: LoadBalancedAppProps): void {
  const algorithm = props.algorithm?.toConfig();
  if (algorithm?.kind === 'consistent-hash' && algorithm.key.source !== 'source-ip') {
    const option = algorithm.key.source === 'cookie' ? 'cookie' : 'header';
    invalid(app, `algorithm Algorithm.consistentHash({ ${option} }) with Protocol.tcp()`, algorithm.key.name, `${TCP_HINT}, so there is no ${option} to hash: use Algorithm.consistentHash({ sourceIp: true })`);
  }
  if (algorithm?.kind === 'least-utilization') {
    invalid(app, 'algorithm Algorithm.leastUtilization() with Protocol.tcp()', algorithm.kind, `${TCP_HINT}, so no response header reports load: use Algorithm.leastConnections() (open connections) or powerOfTwoChoices()`);
  }
  const gateway = props.gateway === false ? undefined : props.gateway;
  if (gateway?.tls !== undefined) {
    invalid(app, 'gateway.tls with Protocol.tcp()', gateway.tls.secretName ?? 'an AppSecret', `${TCP_HINT} and terminates no TLS: drop gateway.tls and let the pods terminate TLS (clients' TLS passes through), or use Protocol.http(), http2() or grpc()`);
  }
  if (gateway?.maxConnectionAge !== undefined) {
    invalid(app, 'gateway.maxConnectionAge with Protocol.tcp()', gateway.maxConnectionAge.toHumanString(), `${TCP_HINT}; closing a connection would cut the client's stream mid-way: drop maxConnectionAge`);
  }
  if (props.backendTls !== undefined) {
    invalid(app, 'backendTls with Protocol.tcp()', props.backendTls.name ?? 'system CAs', `${TCP_HINT}: a client's own TLS reaches the pods as is; drop backendTls`);
  }
  if (props.ingress !== undefined) {
    invalid(app, 'ingress with Protocol.tcp()', props.ingress, 'an Ingress routes HTTP only; drop ingress and expose the Service with service.type LoadBalancer or NodePort');
  }
}

function checkBackendTls(app: IConstruct, tls: BackendTls): BackendTls {
  if (tls.name !== undefined && dns1123SubdomainProblem(tls.name) !== undefined) {
    invalid(app, `backendTls BackendTls.from${tls.source}() name`, tls.name, `name the ${tls.source} as it exists in the app's namespace: lowercase letters, digits, "-" and "."`);
  }
  if (tls.key !== undefined && configMapKeyProblem(tls.key) !== undefined) {
    invalid(app, `backendTls BackendTls.from${tls.source}() key`, tls.key, 'give the data key of the PEM bundle, e.g. "ca.crt"');
  }
  if (tls.serverName !== undefined && dns1123SubdomainProblem(tls.serverName) !== undefined) {
    invalid(app, 'backendTls serverName', tls.serverName, 'give the DNS name the pods\' certificates carry, e.g. "my-app.my-namespace.svc"');
  }
  return tls;
}

function resolveIngress(app: IConstruct, props: LoadBalancedAppProps): ResolvedAppProps['ingress'] {
  const ingress = { ...props.ingress, path: props.ingress?.path ?? DEFAULTS.IngressOptions.path };
  checkIngressOptions(app, 'ingress.', ingress);
  return ingress;
}
