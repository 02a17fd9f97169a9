/**
 * Protocol.http(), http2(), grpc() and tcp(): what each writes into the proxy config, the port names and the
 * `appProtocol` of the Service ports, health checks and probes, and the props each protocol refuses.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Algorithm, BackendTls, LoadBalancedApp, LoadBalancedAppProps, Protocol } from '../../src';
import { validateProxyConfig } from '../../src/config';
import { chart, constructionError, consumer, find, Obj, podSpec, proxyConfig, synthValid } from './helpers';

const GREETER: kplus.ContainerProps = {
  image: 'ghcr.io/grpc-ecosystem/greeter-server:1.0.0',
  ports: [{ name: 'grpc', number: 50051 }],
};

const REDIS: kplus.ContainerProps = {
  image: 'redis:7.4.1-alpine',
  ports: [{ name: 'redis', number: 6379 }],
};

function synthApp(props: Partial<LoadBalancedAppProps> & { container: kplus.ContainerProps }): { objects: Obj[]; app: LoadBalancedApp } {
  const c = chart();
  const app = new LoadBalancedApp(c, 'svc', { name: 'svc', ...props });
  return { objects: synthValid(c), app };
}

/** The gateway's listener container port, the client Service's ports and the headless Service's ports. */
function ports(objects: Obj[]) {
  return {
    listener: podSpec(find(objects, 'Deployment', 'svc-gateway')).containers[0].ports[0],
    client: find(objects, 'Service', 'svc').spec.ports,
    headless: find(objects, 'Service', 'svc-headless').spec.ports,
  };
}

describe('each protocol’s listener, port names and appProtocol', () => {
  test.each([
    ['http', Protocol.http(), undefined, 'http', undefined],
    ['http2', Protocol.http2(), 'http2', 'h2c', 'kubernetes.io/h2c'],
    ['grpc', Protocol.grpc(), 'grpc', 'grpc', 'kubernetes.io/h2c'],
    ['tcp', Protocol.tcp(), 'tcp', 'tcp', undefined],
  ])('%s: config listener protocol %s, listener port %s, appProtocol %s', (_name, protocol, listenerProtocol, portName, appProtocol) => {
    // GIVEN an app with the protocol
    const { objects, app } = synthApp({ container: GREETER, protocol });
    // WHEN synthesized
    const cfg = proxyConfig(objects, 'svc-lb-gateway-') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const p = ports(objects);
    // THEN the listener carries the protocol (none for HTTP/1.1), and the config passes the proxy's own validation
    expect(cfg.listener.protocol).toBe(listenerProtocol);
    expect(validateProxyConfig(cfg).listener.protocol).toBe(listenerProtocol);
    expect(app.gateway!.config.listener.protocol).toBe(listenerProtocol);
    expect(p.listener).toEqual({ containerPort: 8080, name: portName });
    // AND both Services say what the port speaks: clients to the gateway, the gateway to the pods
    expect(p.client[0].appProtocol).toBe(appProtocol);
    expect(p.headless[0].appProtocol).toBe(appProtocol);
  });

  test('an HTTP/1.1 app’s Services carry no appProtocol field at all, so existing manifests keep their bytes', () => {
    const p = ports(synthApp({ container: GREETER }).objects);
    expect(p.client[0]).not.toHaveProperty('appProtocol');
    expect(p.headless[0]).not.toHaveProperty('appProtocol');
  });

  test('without a gateway, the app’s own client Service says what the pods speak on the balanced port only', () => {
    // GIVEN a gRPC app with a second (metrics) port and no gateway
    const container = { ...GREETER, ports: [...GREETER.ports!, { name: 'metrics', number: 9090 }] };
    const { objects } = synthApp({ container, protocol: Protocol.grpc(), gateway: false });
    // THEN
    const svc = find(objects, 'Service', 'svc');
    expect(svc.spec.ports.map((p: { name: string; appProtocol?: string }) => [p.name, p.appProtocol])).toEqual([
      ['grpc', 'kubernetes.io/h2c'],
      ['metrics', undefined],
    ]);
  });

  test('a sidecar listens with the app’s protocol on 127.0.0.1', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'svc', { name: 'svc', container: GREETER, protocol: Protocol.grpc() });
    const url = app.addConsumer(consumer(c));
    const objects = synthValid(c);
    const cfg = proxyConfig(objects, 'svc-lb-sidecar-') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(cfg.listener).toMatchObject({ protocol: 'grpc', host: '127.0.0.1', port: 15001 });
    // A gRPC channel target, not an http:// URL, which gRPC clients do not take
    expect([url, app.sidecarUrl]).toEqual(['127.0.0.1:15001', '127.0.0.1:15001']);
    const main = podSpec(find(objects, 'Deployment', /^test-consumer/)).containers[0];
    expect(main.env).toContainEqual({ name: 'SVC_URL', value: '127.0.0.1:15001' });
  });
});

describe('gRPC health checks', () => {
  test('healthCheck.grpcService is the service of grpc.health.v1.Health/Check, for the proxy and the kubelet alike', () => {
    // GIVEN a gRPC app checked on its Greeter service
    const { objects } = synthApp({ container: GREETER, protocol: Protocol.grpc(), healthCheck: { grpcService: 'helloworld.Greeter', interval: Duration.seconds(3) } });
    // THEN the config asks for it
    const cfg = proxyConfig(objects, 'svc-lb-gateway-') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(cfg.healthCheck).toMatchObject({ grpcService: 'helloworld.Greeter', intervalMs: 3000 });
    // AND the kubelet's gRPC probes (1.27) ask the same, with the app's usual periods
    const app = podSpec(find(objects, 'Deployment', 'svc')).containers[0];
    for (const probe of [app.readinessProbe, app.livenessProbe, app.startupProbe]) {
      expect(probe.grpc).toEqual({ port: 50051, service: 'helloworld.Greeter' });
      expect(probe.tcpSocket).toBeUndefined();
    }
    expect([app.readinessProbe.periodSeconds, app.readinessProbe.failureThreshold]).toEqual([5, 2]);
  });

  test('a gRPC app keeps TCP probes without a health check, with TLS pods (the kubelet’s gRPC probe is h2c only), and keeps probes of its own', () => {
    const plain = podSpec(find(synthApp({ container: GREETER, protocol: Protocol.grpc() }).objects, 'Deployment', 'svc')).containers[0];
    expect(plain.readinessProbe.tcpSocket).toEqual({ port: 50051 });
    const tls = synthApp({ container: GREETER, protocol: Protocol.grpc(), healthCheck: {}, backendTls: BackendTls.systemCas({ serverName: 'svc' }) });
    expect(podSpec(find(tls.objects, 'Deployment', 'svc')).containers[0].livenessProbe.tcpSocket).toEqual({ port: 50051 });
    const own = synthApp({ container: { ...GREETER, readiness: kplus.Probe.fromCommand(['/bin/grpc_health_probe', '-addr=:50051']) }, protocol: Protocol.grpc(), healthCheck: {} });
    const c = podSpec(find(own.objects, 'Deployment', 'svc')).containers[0];
    expect(c.readinessProbe.exec.command[0]).toBe('/bin/grpc_health_probe');
    expect(c.livenessProbe.grpc).toEqual({ port: 50051 });
  });

  test('an empty grpcService asks about the whole server', () => {
    const { objects } = synthApp({ container: GREETER, protocol: Protocol.grpc(), healthCheck: { grpcService: '' } });
    expect((proxyConfig(objects, 'svc-lb-gateway-') as Record<string, any>).healthCheck.grpcService).toBe(''); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  test('fails when a gRPC app gives an HTTP path, naming the prop and grpcService as the fix', () => {
    const message = constructionError({ container: GREETER, protocol: Protocol.grpc(), healthCheck: { path: '/healthz' } });
    expect(message).toMatch(/^LB_PROPS_INVALID: test\/hello: healthCheck\.path with Protocol\.grpc\(\) is invalid \(got "\/healthz"\); fix: .*replace path with grpcService/);
  });

  test('fails when an HTTP app gives grpcService', () => {
    expect(constructionError({ healthCheck: { grpcService: 'x' } })).toMatch(/healthCheck\.grpcService with Protocol\.http\(\) is invalid \(got "x"\); fix: .*use Protocol\.grpc\(\)/);
  });
});

describe('TCP', () => {
  test('the proxy’s probes use only its admin port (HTTP), never the TCP data port', () => {
    // GIVEN a TCP app with a health check (a TCP connect)
    const { objects } = synthApp({ container: REDIS, protocol: Protocol.tcp(), healthCheck: { interval: Duration.seconds(2) } });
    const proxy = podSpec(find(objects, 'Deployment', 'svc-gateway')).containers[0];
    // THEN every probe of the proxy is an httpGet on the admin port
    for (const probe of [proxy.readinessProbe, proxy.livenessProbe, proxy.startupProbe]) {
      expect(probe.httpGet.port).toBe(9901);
      expect(probe.tcpSocket).toBeUndefined();
    }
    expect(proxy.ports).toEqual([{ containerPort: 8080, name: 'tcp' }, { containerPort: 9901, name: 'admin' }]);
    // AND the app's probes are TCP connects, the config a tcp listener with no HTTP-only fields
    expect(podSpec(find(objects, 'Deployment', 'svc')).containers[0].readinessProbe.tcpSocket).toEqual({ port: 6379 });
    const cfg = proxyConfig(objects, 'svc-lb-gateway-') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(cfg.listener).toEqual({ protocol: 'tcp', host: '0.0.0.0', port: 8080 });
    expect(validateProxyConfig(cfg).healthCheck?.intervalMs).toBe(2000);
  });

  test('a TCP smoke test runs the gateway’s tcp config (it opens connections instead of sending requests)', () => {
    const { objects } = synthApp({ container: REDIS, protocol: Protocol.tcp(), smokeTest: true });
    const job = podSpec(objects.find((o) => o.kind === 'Job')!);
    expect(job.containers[0].command).toContain('--smoke');
    expect((proxyConfig(objects, 'svc-lb-gateway-') as Record<string, any>).listener.protocol).toBe('tcp'); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  test('fails with a gRPC smoke test, which would send HTTP/1.1 GETs', () => {
    expect(constructionError({ container: GREETER, protocol: Protocol.grpc(), smokeTest: true })).toMatch(/smokeTest with Protocol\.grpc\(\) is invalid \(got true\); fix: the smoke test sends HTTP\/1\.1 GETs/);
  });

  test('hashing on the source address is fine for TCP', () => {
    const { objects } = synthApp({ container: REDIS, protocol: Protocol.tcp(), algorithm: Algorithm.consistentHash({ sourceIp: true }) });
    expect((proxyConfig(objects, 'svc-lb-gateway-') as Record<string, any>).algorithm.key).toEqual({ source: 'source-ip' }); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  test.each<[string, Partial<LoadBalancedAppProps>, RegExp]>([
    ['a header hash', { algorithm: Algorithm.consistentHash({ header: 'x-user' }) }, /algorithm Algorithm\.consistentHash\(\{ header \}\) with Protocol\.tcp\(\) is invalid \(got "x-user"\); fix: .*Algorithm\.consistentHash\(\{ sourceIp: true \}\)/],
    ['a cookie hash', { algorithm: Algorithm.consistentHash({ cookie: 'session' }) }, /algorithm Algorithm\.consistentHash\(\{ cookie \}\) with Protocol\.tcp\(\) is invalid \(got "session"\)/],
    ['least utilization', { algorithm: Algorithm.leastUtilization() }, /algorithm Algorithm\.leastUtilization\(\) with Protocol\.tcp\(\) is invalid .*fix: .*leastConnections/],
    ['an HTTP health path', { healthCheck: { path: '/' } }, /healthCheck\.path with Protocol\.tcp\(\) is invalid \(got "\/"\); fix: .*drop healthCheck\.path/],
    ['a connection age', { gateway: { maxConnectionAge: Duration.minutes(5) } }, /gateway\.maxConnectionAge with Protocol\.tcp\(\) is invalid \(got "5 minutes"\); fix: .*drop maxConnectionAge/],
    ['an Ingress', { ingress: { host: 'redis.example.com' } }, /ingress with Protocol\.tcp\(\) is invalid .*fix: an Ingress routes HTTP only/],
  ])('fails with %s', (_what, props, expected) => {
    const message = constructionError({ container: REDIS, protocol: Protocol.tcp(), ...props });
    expect(message).toMatch(/^LB_PROPS_INVALID: test\/hello: /);
    expect(message).toMatch(expected);
  });
});
