import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { ExternalTrafficPolicy, LoadBalancedApp, SessionAffinity } from '../../src';
import { all, chart, find, synthValid } from './helpers';

const TWO_PORTS: kplus.ContainerProps = {
  image: 'nginxinc/nginx-unprivileged:1.27-alpine',
  ports: [
    { name: 'http', number: 8081 },
    { name: 'metrics', number: 9113 },
  ],
};

describe('LoadBalancedApp Services', () => {
  test('the headless Service lists only ready pods, with every named port', () => {
    const c = chart();
    new LoadBalancedApp(c, 'web', { name: 'web', container: TWO_PORTS });
    const svc = find(synthValid(c), 'Service', 'web-headless');
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.publishNotReadyAddresses).toBe(false);
    expect(svc.spec.ports).toEqual([
      { name: 'http', port: 8081, targetPort: 8081 },
      { name: 'metrics', port: 9113, targetPort: 9113 },
    ]);
  });

  test('with a gateway, the client-facing Service selects the gateway and targets its listener', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'web', { name: 'web', container: TWO_PORTS, gateway: { port: 8888 } });
    const svc = find(synthValid(c), 'Service', 'web');
    expect(app.service.name).toBe('web');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/component': 'gateway' });
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 8081, targetPort: 8888, protocol: 'TCP' }]);
    expect(svc.spec.sessionAffinity).toBe('None');
    expect(svc.spec).not.toHaveProperty('externalTrafficPolicy');
  });

  test('without a gateway, the client-facing Service selects the app with every named port', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'web', { name: 'web', container: TWO_PORTS, gateway: false });
    app.allowFrom(kplus.Pods.all(c, 'everyone'));
    const objects = synthValid(c);
    const svc = find(objects, 'Service', 'web');
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/component': 'app' });
    expect(svc.spec.ports.map((p: { name: string; port: number; targetPort: number }) => [p.name, p.port, p.targetPort])).toEqual([
      ['http', 8081, 8081],
      ['metrics', 9113, 9113],
    ]);
    expect(all(objects, 'Deployment').map((o) => o.metadata.name)).toEqual(['web']);
  });

  test('balancedPort chooses the port the balancer targets', () => {
    const c = chart();
    new LoadBalancedApp(c, 'web', { name: 'web', container: TWO_PORTS, balancedPort: 'metrics' });
    const objects = synthValid(c);
    const cfg = JSON.parse(objects.find((o) => o.metadata.name?.startsWith('web-lb-gateway-'))!.data!['config.json']);
    expect(cfg.upstream.port).toBe(9113);
    expect(find(objects, 'Service', 'web').spec.ports[0]).toMatchObject({ name: 'metrics', port: 9113, targetPort: 8080 });
  });

  test('NodePort with ClientIP affinity, a timeout, Local traffic policy and a fixed node port', () => {
    const c = chart();
    new LoadBalancedApp(c, 'web', {
      name: 'web',
      container: TWO_PORTS,
      service: {
        type: kplus.ServiceType.NODE_PORT,
        sessionAffinity: SessionAffinity.CLIENT_IP,
        sessionAffinityTimeout: Duration.minutes(10),
        externalTrafficPolicy: ExternalTrafficPolicy.LOCAL,
        nodePorts: { http: 30080 },
      },
    });
    const svc = find(synthValid(c), 'Service', 'web');
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.sessionAffinity).toBe('ClientIP');
    expect(svc.spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 600 } });
    expect(svc.spec.externalTrafficPolicy).toBe('Local');
    expect(svc.spec.ports[0].nodePort).toBe(30080);
  });

  test('LoadBalancer defaults to the Cluster traffic policy', () => {
    const c = chart();
    new LoadBalancedApp(c, 'web', { name: 'web', container: TWO_PORTS, service: { type: kplus.ServiceType.LOAD_BALANCER } });
    const svc = find(synthValid(c), 'Service', 'web');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.externalTrafficPolicy).toBe('Cluster');
  });
});
