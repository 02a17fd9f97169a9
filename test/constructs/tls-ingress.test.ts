/**
 * TLS at the gateway (GatewayTls), TLS to the pods (BackendTls), the connection age limit and the Ingress: what they
 * mount, what they write into the proxy config, and what they refuse.
 */
import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AppSecret, BackendTls, GatewayTls, LoadBalancedApp, LoadBalancedAppProps, Protocol, TlsVersion } from '../../src';
import { validateProxyConfig } from '../../src/config';
import { balancerConfigInput, configFieldOrigin, gatewayListener } from '../../src/constructs/internal/balancer-config';
import { resolveLoadBalancedAppProps } from '../../src/constructs/internal/resolve';
import { ExternalReferences, validateManifests } from '../../src/testing';
import { all, chart, constructionError, consumer, ECHO, find, Obj, podSpec, proxyConfig } from './helpers';

const GREETER: kplus.ContainerProps = { image: 'ghcr.io/grpc-ecosystem/greeter-server:1.0.0', ports: [{ name: 'grpc', number: 50051 }] };
/** Not a real pair: the constructs and the validator read only the keys. */
const PAIR = { 'tls.crt': '-----BEGIN CERTIFICATE-----\ndemo-cert\n-----END CERTIFICATE-----\n', 'tls.key': '-----BEGIN PRIVATE KEY-----\ndemo-key\n-----END PRIVATE KEY-----\n' };
const TLS_PAIR = () => AppSecret.fromValues(PAIR, { type: 'kubernetes.io/tls' });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** Synthesizes an app named svc and validates every object, with `external` objects allowed. */
function synth(props: Partial<LoadBalancedAppProps>, external: ExternalReferences = {}): { objects: Obj[]; app: LoadBalancedApp; c: ReturnType<typeof chart> } {
  const c = chart();
  const app = new LoadBalancedApp(c, 'svc', { name: 'svc', container: ECHO, ...props });
  const objects = Testing.synth(c) as Obj[];
  expect(validateManifests(objects, { external })).toEqual([]);
  return { objects, app, c };
}

function gatewayConfig(objects: Obj[]): Any {
  const cfg = proxyConfig(objects, 'svc-lb-gateway-');
  validateProxyConfig(cfg); // the proxy would start on it
  return cfg;
}

describe('GatewayTls', () => {
  test('fromAppSecret creates a kubernetes.io/tls Secret, mounts it read-only apart from the config and points the listener at it', () => {
    // GIVEN a gRPC app whose gateway terminates TLS with a pair given as values
    const { objects, app } = synth({ container: GREETER, protocol: Protocol.grpc(), gateway: { tls: GatewayTls.fromAppSecret(TLS_PAIR()) } });
    // THEN the Secret exists, typed, with both keys
    const secret = find(objects, 'Secret', 'svc-gateway-tls') as Any;
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret.data).sort()).toEqual(['tls.crt', 'tls.key']);
    expect(app.gateway!.tlsSecret?.name).toBe('svc-gateway-tls');
    // AND the gateway's pods mount only its two keys, read-only, readable by the proxy's group only
    const spec = podSpec(find(objects, 'Deployment', 'svc-gateway'));
    const volume = spec.volumes.find((v: Any) => v.secret?.secretName === 'svc-gateway-tls');
    expect(volume).toEqual({ name: 'lb-tls', secret: { secretName: 'svc-gateway-tls', defaultMode: 0o440, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] } });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'lb-tls', mountPath: '/etc/cdk8s-balancer-tls', readOnly: true });
    // AND the listener reads the mounted files, with TLS 1.2 at least
    const cfg = gatewayConfig(objects);
    expect(cfg.listener).toMatchObject({ protocol: 'grpc', tls: { certFile: '/etc/cdk8s-balancer-tls/tls.crt', keyFile: '/etc/cdk8s-balancer-tls/tls.key', minVersion: 'TLSv1.2', reloadCheckMs: 2000 } });
    // AND the client Service port says https: h2c would tell a peer to speak clear text into a TLS handshake
    expect(find(objects, 'Service', 'svc').spec.ports[0].appProtocol).toBe('https');
    // AND the pods do not roll on a rotated pair: the proxy reloads it (the checksum hashes config and bundle only)
    expect(JSON.stringify(spec)).not.toContain('demo-key');
  });

  test.each([
    [Protocol.http(), 'https'],
    [Protocol.http2(), 'h2'],
    [Protocol.grpc(), 'grpc'],
  ])('the listener port of %j with TLS is named %s', (protocol, name) => {
    const { objects } = synth({ protocol, gateway: { tls: GatewayTls.fromSecret('web-tls') } }, { secrets: ['web-tls'] });
    expect(podSpec(find(objects, 'Deployment', 'svc-gateway')).containers[0].ports[0]).toEqual({ containerPort: 8080, name });
  });

  test('fromSecret mounts an existing Secret and creates none; minVersion and reloadCheck reach the config', () => {
    const tls = GatewayTls.fromSecret('web-tls', { minVersion: TlsVersion.TLS_1_3, reloadCheck: Duration.seconds(10) });
    const { objects } = synth({ gateway: { tls } }, { secrets: ['web-tls'] });
    expect(all(objects, 'Secret').map((s) => s.metadata.name)).toEqual([]);
    expect(gatewayConfig(objects).listener.tls).toMatchObject({ minVersion: 'TLSv1.3', reloadCheckMs: 10000 });
    // Without the Secret in the set or listed as external, the validator names the missing reference.
    const c = chart();
    new LoadBalancedApp(c, 'svc', { name: 'svc', container: ECHO, gateway: { tls } });
    expect(validateManifests(Testing.synth(c)).map((p) => [p.code, p.value])).toEqual([['REFERENCE_MISSING', 'web-tls']]);
  });

  test('a smoke test gets a config of its own without the listener’s TLS, which it could not use', () => {
    const { objects } = synth({ smokeTest: true, gateway: { tls: GatewayTls.fromAppSecret(TLS_PAIR()) } });
    const smoke = proxyConfig(objects, 'svc-lb-smoke-') as Any;
    expect(smoke.listener.tls).toBeUndefined();
    expect(gatewayConfig(objects).listener.tls).toBeDefined();
    const job = podSpec(objects.find((o) => o.kind === 'Job')!);
    expect(job.volumes.map((v: Any) => v.configMap?.name ?? v.secret?.secretName ?? v.name)).not.toContain('svc-gateway-tls');
  });

  test.each<[string, Partial<LoadBalancedAppProps>, RegExp]>([
    ['the Secret is not of type kubernetes.io/tls', { gateway: { tls: GatewayTls.fromAppSecret(AppSecret.fromValues(PAIR)) } }, /gateway\.tls AppSecret type is invalid \(got "Opaque"\); fix: .*AppSecret\.fromValues\(\{ 'tls\.crt': cert, 'tls\.key': key \}, \{ type: 'kubernetes\.io\/tls' \}\)/],
    ['a key is missing', { gateway: { tls: GatewayTls.fromAppSecret(AppSecret.fromValues({ 'tls.crt': PAIR['tls.crt'] }, { type: 'kubernetes.io/tls' })) } }, /gateway\.tls AppSecret keys is invalid \(got \["tls\.crt"\]\); fix: add 'tls\.key'/],
    ['the Secret name is no DNS name', { gateway: { tls: GatewayTls.fromSecret('Web_TLS') } }, /gateway\.tls secret name is invalid \(got "Web_TLS"\)/],
    ['TLS is asked of a TCP app', { container: { image: 'redis:7.4.1-alpine', ports: [{ name: 'redis', number: 6379 }] }, protocol: Protocol.tcp(), gateway: { tls: GatewayTls.fromSecret('redis-tls') } }, /gateway\.tls with Protocol\.tcp\(\) is invalid \(got "redis-tls"\); fix: .*terminates no TLS/],
    ['the reload check is fractional', { gateway: { tls: GatewayTls.fromSecret('web-tls', { reloadCheck: Duration.millis(1.5) }) } }, /gateway\.tls reloadCheck is invalid/],
  ])('fails when %s', (_what, props, expected) => {
    const message = constructionError(props);
    expect(message).toMatch(/^LB_PROPS_INVALID: test\/hello: /);
    expect(message).toMatch(expected);
  });
});

describe('gateway.maxConnectionAge', () => {
  test('becomes listener.maxConnectionAgeMs with the schema’s jitter', () => {
    const { objects } = synth({ protocol: Protocol.grpc(), container: GREETER, gateway: { maxConnectionAge: Duration.minutes(5) } });
    expect(gatewayConfig(objects).listener).toMatchObject({ maxConnectionAgeMs: 300000, maxConnectionAgeJitterPercent: 10 });
  });

  test('is the gateway’s only: a sidecar’s listener on 127.0.0.1 has no age limit', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'svc', { name: 'svc', container: ECHO, gateway: { maxConnectionAge: Duration.minutes(5) } });
    app.addConsumer(consumer(c));
    expect((proxyConfig(Testing.synth(c) as Obj[], 'svc-lb-sidecar-') as Any).listener.maxConnectionAgeMs).toBeUndefined();
  });
});

describe('BackendTls', () => {
  test('fromConfigMap mounts the CA bundle into the gateway, the sidecars and the smoke test, and sets upstream.tls', () => {
    // GIVEN an HTTP app whose pods serve TLS, with a CA bundle in a ConfigMap made elsewhere
    const c = chart();
    const app = new LoadBalancedApp(c, 'svc', {
      name: 'svc',
      container: ECHO,
      healthCheck: { path: '/healthz' },
      smokeTest: true,
      backendTls: BackendTls.fromConfigMap('trust-bundle', 'root-certs.pem', { serverName: 'svc.team.svc' }),
    });
    app.addConsumer(consumer(c));
    const objects = Testing.synth(c) as Obj[];
    expect(validateManifests(objects, { external: { configMaps: ['trust-bundle'] } })).toEqual([]);
    // THEN the config verifies the pods against the mounted file and sends the name
    expect(gatewayConfig(objects).upstream.tls).toEqual({ caFile: '/etc/cdk8s-balancer-backend-ca/ca.crt', serverName: 'svc.team.svc' });
    // AND every pod that runs the proxy mounts the one key as ca.crt, read-only
    const proxies = [find(objects, 'Deployment', 'svc-gateway'), objects.find((o) => o.kind === 'Job')!, find(objects, 'Deployment', /^test-consumer/)];
    for (const o of proxies) {
      const spec = podSpec(o);
      const volume = spec.volumes.find((v: Any) => v.configMap?.name === 'trust-bundle');
      expect(volume.configMap.items).toEqual([{ key: 'root-certs.pem', path: 'ca.crt' }]);
      const proxy = spec.containers.find((ct: Any) => (ct.command ?? []).includes('--config'));
      expect(proxy.volumeMounts).toContainEqual({ name: volume.name, mountPath: '/etc/cdk8s-balancer-backend-ca', readOnly: true });
    }
    // AND the app's balanced port says https, and the kubelet probes it with HTTPS
    expect(find(objects, 'Service', 'svc-headless').spec.ports[0].appProtocol).toBe('https');
    expect(podSpec(find(objects, 'Deployment', 'svc')).containers[0].readinessProbe.httpGet).toMatchObject({ path: '/healthz', scheme: 'HTTPS' });
  });

  test('fromSecret mounts a Secret key; systemCas mounts nothing', () => {
    const fromSecret = synth({ protocol: Protocol.http2(), backendTls: BackendTls.fromSecret('svc-ca', 'ca.crt') }, { secrets: ['svc-ca'] });
    const volumes = podSpec(find(fromSecret.objects, 'Deployment', 'svc-gateway')).volumes;
    expect(volumes.find((v: Any) => v.secret?.secretName === 'svc-ca').secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
    const system = synth({ backendTls: BackendTls.systemCas({ serverName: 'api.example.com' }) });
    expect(gatewayConfig(system.objects).upstream.tls).toEqual({ serverName: 'api.example.com' });
    expect(podSpec(find(system.objects, 'Deployment', 'svc-gateway')).volumes.map((v: Any) => v.name)).toEqual(['lb-config', 'lb-bundle', 'lb-tmp']);
  });

  test.each<[string, Partial<LoadBalancedAppProps>, RegExp]>([
    ['a TCP app asks for it', { protocol: Protocol.tcp(), backendTls: BackendTls.systemCas() }, /backendTls with Protocol\.tcp\(\) is invalid/],
    ['the key is not a data key', { backendTls: BackendTls.fromConfigMap('ca', 'certs/ca.pem') }, /backendTls BackendTls\.fromConfigMap\(\) key is invalid \(got "certs\/ca\.pem"\)/],
    ['the server name is not a DNS name', { backendTls: BackendTls.systemCas({ serverName: 'https://api' }) }, /backendTls serverName is invalid \(got "https:\/\/api"\)/],
  ])('fails when %s', (_what, props, expected) => {
    expect(constructionError(props)).toMatch(expected);
  });
});

describe('ingress', () => {
  test('a gRPC app’s Ingress routes the path prefix to the client Service and tells ingress-nginx to speak gRPC', () => {
    // GIVEN a gRPC app with an Ingress terminating TLS for its host
    const ingress = { host: 'greeter.example.com', tlsSecretName: 'greeter-cert', ingressClassName: 'nginx' };
    const { objects, app } = synth({ container: GREETER, protocol: Protocol.grpc(), ingress }, { secrets: ['greeter-cert'] });
    // THEN
    const ing = find(objects, 'Ingress', 'svc') as Any;
    expect(ing.apiVersion).toBe('networking.k8s.io/v1');
    expect(ing.metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' });
    expect(ing.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['greeter.example.com'], secretName: 'greeter-cert' }],
      rules: [{ host: 'greeter.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'svc', port: { number: 50051 } } } }] } }],
    });
    expect(app.ingress?.name).toBe('svc');
    expect(find(objects, 'Service', 'svc').spec.ports[0]).toMatchObject({ port: 50051, appProtocol: 'kubernetes.io/h2c' });
  });

  test.each<[string, Partial<LoadBalancedAppProps>, Record<string, string> | undefined]>([
    ['an HTTP app: none', {}, undefined],
    ['a gRPC app behind a TLS gateway: GRPCS', { container: GREETER, protocol: Protocol.grpc(), gateway: { tls: GatewayTls.fromSecret('t') } }, { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPCS' }],
    ['an HTTP app behind a TLS gateway: HTTPS', { gateway: { tls: GatewayTls.fromSecret('t') } }, { 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' }],
    ['an HTTP app with TLS pods and no gateway: HTTPS', { gateway: false, backendTls: BackendTls.systemCas() }, { 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' }],
    ['yours win', { ingress: { annotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'AUTO_HTTP' } } }, { 'nginx.ingress.kubernetes.io/backend-protocol': 'AUTO_HTTP' }],
  ])('backend-protocol annotation for %s', (_what, props, annotations) => {
    const { objects } = synth({ ingress: {}, ...props }, { secrets: ['t'] });
    expect(find(objects, 'Ingress', 'svc').metadata.annotations).toEqual(annotations);
  });

  test.each<[string, Partial<LoadBalancedAppProps>, RegExp]>([
    ['a path is relative', { ingress: { path: 'api' } }, /ingress\.path is invalid \(got "api"\); fix: it must be an absolute path, starting with "\/"/],
    ['a host is an IP', { ingress: { host: '10.0.0.1' } }, /ingress\.host is invalid \(got "10\.0\.0\.1"\); fix: it must be a DNS name, not an IP address/],
    ['a class name has capitals', { ingress: { ingressClassName: 'Nginx' } }, /ingress\.ingressClassName is invalid \(got "Nginx"\)/],
  ])('fails when %s', (_what, props, expected) => {
    expect(constructionError(props)).toMatch(expected);
  });
});

test('every config field the new props write has a prop to name', () => {
  // GIVEN a gRPC app that sets every TLS, age and health field
  const scope = new Construct(Testing.chart(), 'app');
  const app = resolveLoadBalancedAppProps(scope, {
    container: GREETER,
    protocol: Protocol.grpc(),
    healthCheck: { grpcService: 'helloworld.Greeter' },
    backendTls: BackendTls.fromSecret('ca', 'ca.crt', { serverName: 'svc' }),
    gateway: { tls: GatewayTls.fromSecret('t', { minVersion: TlsVersion.TLS_1_3, reloadCheck: Duration.seconds(5) }), maxConnectionAge: Duration.minutes(1) },
  });
  const spec = { listener: gatewayListener(app, app.gateway), adminPort: 9901, portProp: 'gateway.port', adminPortProp: 'proxy.adminPort' };
  // WHEN each leaf of the config input is mapped back
  const input = balancerConfigInput(app, [{ kind: 'dns', hostname: 'x' }], spec);
  const leaves = (v: unknown, prefix: string): string[] =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v).flatMap(([k, c]) => leaves(c, prefix ? `${prefix}.${k}` : k)) : [prefix];
  const origins = Object.fromEntries(leaves(input, '').filter((p) => /^(listener|upstream\.tls|healthCheck\.grpc)/.test(p)).map((p) => [p, configFieldOrigin(p, spec, 'round-robin')?.prop]));
  // THEN
  expect(origins).toEqual({
    'listener.protocol': 'protocol',
    'listener.host': 'gateway.port (and protocol)',
    'listener.port': 'gateway.port',
    'listener.tls.certFile': 'gateway.tls',
    'listener.tls.keyFile': 'gateway.tls',
    'listener.tls.minVersion': 'gateway.tls GatewayTls({ minVersion })',
    'listener.tls.reloadCheckMs': 'gateway.tls GatewayTls({ reloadCheck })',
    'listener.maxConnectionAgeMs': 'gateway.maxConnectionAge',
    'upstream.tls.caFile': 'backendTls',
    'upstream.tls.serverName': 'backendTls ({ serverName })',
    'healthCheck.grpcService': 'healthCheck.grpcService',
  });
});
