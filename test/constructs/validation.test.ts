import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { LoadBalancedApp, LoadBalancedAppProps, PodDisruptionBudget, ProxyImage, WorkloadKind } from '../../src';
import { chart, consumer, ECHO, synthValid } from './helpers';

/** Builds an app with `props` over a valid base; returns the thrown message. */
function error(props: Partial<LoadBalancedAppProps>): string {
  const c = chart();
  try {
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, ...props });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected construction to fail');
}

const withPorts = (ports: kplus.ContainerPort[]): Partial<LoadBalancedAppProps> => ({ container: { ...ECHO, ports } });

describe('validation', () => {
  // Each case: name, props, expected message (prop, bad value and fix). Every message starts with code and path.
  const cases: Array<[string, Partial<LoadBalancedAppProps>, RegExp]> = [
    ['the name is not a DNS label', { name: 'Hello_World' }, /name is invalid \(got "Hello_World"\); fix: use at most 40 lowercase letters/],
    ['the name is too long', { name: 'a'.repeat(41) }, /name is invalid \(got "a{41}"\)/],
    ['the namespace is not a DNS label', { namespace: 'Shop' }, /namespace is invalid \(got "Shop"\)/],
    ['the image is :latest', { container: { ...ECHO, image: 'hashicorp/http-echo:latest' } }, /container.image is invalid \(got "hashicorp\/http-echo:latest"\); fix: replace ":latest" with a version tag or a digest/],
    ['the image is untagged', { container: { ...ECHO, image: 'registry:5000/team/echo' } }, /container.image is invalid \(got "registry:5000\/team\/echo"\); fix: pin the image to a version tag or digest/],
    ['the image digest is malformed', { container: { ...ECHO, image: 'echo@sha256:abc' } }, /container.image is invalid .*64 lowercase hex digits/],
    ['there are no ports', withPorts([]), /container.ports is invalid \(got \[\]\); fix: declare at least one named port/],
    ['a port has no name', withPorts([{ number: 5678 }]), /container.ports\[0\].name is invalid \(got nothing\); fix: name every port/],
    ['two ports share a name', withPorts([{ name: 'http', number: 5678 }, { name: 'http', number: 5679 }]), /container.ports\[1\].name is invalid \(got "http"\); fix: give each port a unique name/],
    ['two ports share a number', withPorts([{ name: 'http', number: 5678 }, { name: 'alt', number: 5678 }]), /container.ports\[1\].number is invalid \(got 5678\); fix: give each port a unique number/],
    ['a port is out of range', withPorts([{ name: 'http', number: 70000 }]), /container.ports\[0\].number is invalid \(got 70000\); fix: use an integer port between 1 and 65535/],
    ['a port is zero', withPorts([{ name: 'http', number: 0 }]), /container.ports\[0\].number is invalid \(got 0\)/],
    ['a port name has "--", which Kubernetes refuses', withPorts([{ name: 'my--http', number: 5678 }]), /container.ports\[0\].name is invalid \(got "my--http"\); fix: .*no "--"/],
    ['balancedPort names no port', { balancedPort: 'grpc' }, /balancedPort is invalid \(got "grpc"\); fix: name one of the ports: http/],
    ['replicas is zero', { replicas: 0 }, /replicas is invalid \(got 0\); fix: use an integer >= 1/],
    ['replicas is not an integer', { replicas: 1.5 }, /replicas is invalid \(got 1.5\)/],
    ['replicas above 1 is set on a bare Pod, which runs one', { workload: WorkloadKind.pod(), replicas: 3 }, /replicas is invalid \(got 3\); fix: a bare Pod runs exactly one replica; drop replicas, or use WorkloadKind.deployment\(\)/],
    ['a subset of a bare Pod sets replicas above 1', { workload: WorkloadKind.pod(), subsets: [{ name: 'a', replicas: 2 }] }, /subsets\[0\].replicas is invalid \(got 2\); fix: a bare Pod runs exactly one replica/],
    [
      'a subset’s headless Service name would be over 63 characters',
      { name: 'a'.repeat(40), subsets: [{ name: 'b'.repeat(20) }] },
      /subsets\[0\].name is invalid \(got "b{20}"\); fix: the headless Service name "a{40}-b{20}-headless" would be 70 characters, over Kubernetes' 63; shorten the app name or the subset name by 7 characters/,
    ],
    ['replicas is set together with autoscaling', { replicas: 3, autoscaling: { maxReplicas: 5 } }, /replicas together with autoscaling is invalid \(got 3\); fix: drop replicas/],
    ['autoscaling minReplicas is above maxReplicas', { autoscaling: { minReplicas: 6, maxReplicas: 5 } }, /autoscaling.minReplicas is invalid \(got 6\); fix: make it <= maxReplicas \(5\)/],
    ['autoscaling targets a bare Pod', { workload: WorkloadKind.pod(), autoscaling: { maxReplicas: 5 } }, /autoscaling of a bare Pod is invalid .*fix: use WorkloadKind.deployment\(\)/],
    ['autoscaling cpu utilization is over 100', { autoscaling: { maxReplicas: 5, cpuUtilization: 150 } }, /autoscaling.cpuUtilization is invalid \(got 150\)/],
    ['revisionHistoryLimit is negative', { revisionHistoryLimit: -1 }, /revisionHistoryLimit is invalid \(got -1\)/],
    ['maxSurge is a malformed percentage', { maxSurge: '150%' }, /maxSurge is invalid \(got "150%"\); fix: use an integer >= 0 or a percentage/],
    ['the container asks for privilege escalation', { container: { ...ECHO, securityContext: { allowPrivilegeEscalation: true } } }, /container.securityContext is invalid .*restricted Pod Security profile forbids/],
    ['the container runs as root', { container: { ...ECHO, securityContext: { user: 0 } } }, /container.securityContext.user is invalid \(got 0\); fix: use an integer >= 1/],
    ['two subsets share a name', { subsets: [{ name: 'a' }, { name: 'a' }] }, /subsets\[1\].name is invalid \(got "a"\); fix: give each subset a unique name/],
    ['a subset name is not a DNS label', { subsets: [{ name: 'Canary' }] }, /subsets\[0\].name is invalid \(got "Canary"\)/],
    ['a subset weight is zero', { subsets: [{ name: 'a', weight: 0 }] }, /\n  - upstream\.sources\.0\.weight \(from subsets\[0\]\.weight\): .*\(got 0\); fix: use a weight > 0/],
    ['a subset weight is negative', { subsets: [{ name: 'a', weight: -2 }] }, /\n  - upstream\.sources\.0\.weight \(from subsets\[0\]\.weight\): .*\(got -2\)/],
    ['a subset image is :latest', { subsets: [{ name: 'a', image: 'echo:latest' }] }, /subsets\[0\].image is invalid \(got "echo:latest"\)/],
    ['there are no subsets', { subsets: [] }, /subsets is invalid \(got \[\]\)/],
    ['the gateway port is out of range', { gateway: { port: 65536 } }, /\n  - listener\.port \(from gateway\.port\): .*\(got 65536\)/],
    ['the gateway port collides with the proxy admin port', { gateway: { port: 9901 } }, /\n  - admin\.port \(from proxy\.adminPort\): admin port 9901 collides with listener\.port/],
    ['the gateway has zero replicas', { gateway: { replicas: 0 } }, /gateway.replicas is invalid \(got 0\)/],
    ['the proxy image is :latest', { proxy: { image: ProxyImage.node('node:latest') } }, /proxy image is invalid \(got "node:latest"\)/],
    ['the proxy bundle path is relative', { proxy: { image: ProxyImage.fromImage('my/proxy:1.0.0', { bundlePath: 'proxy.js' }) } }, /proxy image bundlePath is invalid \(got "proxy.js"\); fix: give an absolute path/],
    ['the proxy image runs as root', { proxy: { image: ProxyImage.fromImage('my/proxy:1.0.0', { user: 0 }) } }, /proxy image user is invalid \(got 0\)/],
    ['the config is over 1 MiB', { config: { BIG: 'x'.repeat(1024 * 1024) } }, /test\/hello\/Config: ConfigMap hello-config would hold 1048579 bytes, over the 1032192-byte budget .*fix: move large files/],
    ['a config key is not a valid ConfigMap key', { config: { 'not valid!': 'x' } }, /ConfigMap key "not valid!" is invalid; fix: use letters, digits/],
    ['a node port names no port', { service: { nodePorts: { grpc: 30000 } } }, /service.nodePorts.grpc is invalid \(got 30000\); fix: name one of the ports: http/],
    ['the health check timeout is not below its interval', { healthCheck: { interval: Duration.seconds(1), timeout: Duration.seconds(2) } }, /LB_CONFIG_INVALID: test\/hello: .*\n  - healthCheck.timeoutMs \(from healthCheck.timeout\): timeout 2000 ms must be shorter than intervalMs 1000 ms/],
    ['the health check path is relative', { healthCheck: { path: 'healthz' } }, /healthCheck.path \(from healthCheck.path\): .*got "healthz"/],
    ['retries are over the limit', { retries: { attempts: 9 } }, /retries.attempts \(from retries.attempts\): .*got 9/],
    ['the migration image is :latest', { migration: { container: { image: 'flyway/flyway:latest' } } }, /migration.container.image is invalid \(got "flyway\/flyway:latest"\)/],
    ['the migration parallelism is zero', { migration: { container: { image: 'flyway/flyway:10.17.0' }, parallelism: 0 } }, /migration.parallelism is invalid \(got 0\)/],
    ['the smoke test backoff is negative', { smokeTest: { backoffLimit: -1 } }, /smokeTest.backoffLimit is invalid \(got -1\)/],
  ];

  test.each(cases)('fails when %s', (_name, props, expected) => {
    const message = error(props);
    expect(message).toMatch(/^LB_(PROPS|CONFIG)_INVALID: test\/hello(\/\w+)?: /);
    expect(message).toMatch(expected);
  });

  test('an image pinned by digest is accepted', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: { ...ECHO, image: `hashicorp/http-echo@sha256:${'a'.repeat(64)}` } });
    expect(synthValid(c).length).toBeGreaterThan(0);
  });

  test('an app port may equal a proxy port, since no proxy shares the app’s pods', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: { ...ECHO, ports: [{ name: 'http', number: 8080 }] } });
    expect(synthValid(c).length).toBeGreaterThan(0);
  });

  test('fails when a consumer container port collides with the sidecar port', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const d = consumer(c);
    d.containers[0].addPort({ number: 15001, name: 'web' });
    expect(() => app.addConsumer(d)).toThrow(
      /^LB_PROPS_INVALID: test\/consumer: container main port is invalid \(got 15001\); fix: it collides with the hello sidecar's ports \(15001, 9901\)/,
    );
  });

  test('fails when a consumer container port collides with the sidecar admin port', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const d = consumer(c);
    d.containers[0].addPort({ number: 9901 });
    expect(() => app.addConsumer(d)).toThrow(/container main port is invalid \(got 9901\)/);
  });

  test('fails when the sidecar port equals its admin port', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    expect(() => app.addConsumer(consumer(c), { port: 9901 })).toThrow(
      /^LB_CONFIG_INVALID: test\/consumer: .*\n  - admin\.port \(from addConsumer adminPort\): admin port 9901 collides with listener\.port/,
    );
  });

  test('fails when a consumer is added twice', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const d = consumer(c);
    app.addConsumer(d);
    expect(() => app.addConsumer(d)).toThrow(/consumer is invalid \(got "lb-hello"\); fix: test\/hello is already injected/);
  });

  test('fails when the consumer is in another namespace', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, namespace: 'shop' });
    expect(() => app.addConsumer(consumer(c))).toThrow(/consumer namespace is invalid \(got "default"\); fix: put the consumer in the app's namespace "shop"/);
  });

  test('fails when allowFrom names a port the app does not have', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    expect(() => app.allowFrom(kplus.Pods.all(c, 'all'), [80])).toThrow(/allowFrom ports is invalid \(got 80\); fix: use app ports: 5678/);
  });

  test('fails with the construct path, the prop and a fix for a rolling update of 0 and 0, before cdk8s-plus sees it', () => {
    // GIVEN props that cdk8s-plus would refuse without a path, WHEN the app is built, THEN our check names path, prop, value and fix
    expect(() => new LoadBalancedApp(chart(), 'hello', { name: 'hello', container: ECHO, maxSurge: 0, maxUnavailable: 0 })).toThrow(
      /^LB_PROPS_INVALID: test\/hello: maxSurge and maxUnavailable is invalid \(got \{"maxSurge":0,"maxUnavailable":0\}\); fix: a rolling update needs room/,
    );
  });

  test.each([
    ['added to the pod', (d: kplus.Deployment) => d.addVolume(kplus.Volume.fromEmptyDir(d, 'mine', 'lb-hello-config'))],
    ['mounted by a container', (d: kplus.Deployment) => d.containers[0].mount('/data', kplus.Volume.fromEmptyDir(d, 'mine', 'lb-hello-tmp'))],
  ])('fails at construction, not at synth, when a consumer volume %s has a sidecar volume’s name', (_how, addVolume) => {
    // GIVEN a consumer with a volume named like one of the sidecar's
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const d = consumer(c);
    addVolume(d);
    // WHEN the sidecar is injected, THEN the error names the consumer, the volume and the fix
    expect(() => app.addConsumer(d)).toThrow(
      /^LB_PROPS_INVALID: test\/consumer: consumer volume is invalid \(got "lb-hello-(config|tmp)"\); fix: rename it: the lb-hello sidecar adds the volumes lb-hello-config, lb-hello-bundle, lb-hello-tmp/,
    );
  });

  test('fails when a disruption budget sets both minAvailable and maxUnavailable', () => {
    const c = chart();
    expect(() => new PodDisruptionBudget(c, 'pdb', { selector: { a: 'b' }, minAvailable: 1, maxUnavailable: 1 })).toThrow(
      /^LB_PROPS_INVALID: test\/pdb: minAvailable together with maxUnavailable is invalid .*fix: give only one of them/,
    );
  });
});
