import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdk8s';
import { LoadBalancedApp } from '../../src';
import { ProxyMetrics, StateView } from '../../src/proxy/metrics/registry';
import { validateManifests } from '../../src/testing';
import { chart, consumer, ECHO, find, Obj, podMeta, podSpec, synthValid } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
type Port = { name?: string; containerPort: number };

// Finding 10: Prometheus can find /metrics on every proxy, and the package ships a dashboard for it.
describe('observability', () => {
  test('the gateway names its admin port, annotates its pods for scraping and has a metrics Service', () => {
    // GIVEN an app with a gateway
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const objects = synthValid(c);
    // THEN the proxy's admin port is named
    const gateway = find(objects, 'Deployment', 'hello-gateway');
    const proxy = podSpec(gateway).containers.find((ct: { name: string }) => ct.name === 'proxy');
    expect(proxy.ports.find((p: Port) => p.containerPort === 9901)).toEqual(expect.objectContaining({ name: 'admin' }));
    // AND the pods carry the prometheus.io annotations
    expect(podMeta(gateway).annotations).toEqual(
      expect.objectContaining({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9901', 'prometheus.io/path': '/metrics' }),
    );
    // AND a metrics Service selects the gateway pods on the named admin port
    const svc = find(objects, 'Service', 'hello-gateway-metrics');
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: 'metrics', port: 9901, targetPort: 9901 })]);
    expect(svc.spec.selector).toEqual(gateway.spec.selector.matchLabels);
  });

  test('the metrics Service and the annotations can be turned off', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, gateway: { metrics: { service: false, scrapeAnnotations: false } } });
    const objects = synthValid(c);
    expect(objects.filter((o) => o.metadata.name === 'hello-gateway-metrics')).toEqual([]);
    expect(Object.keys(podMeta(find(objects, 'Deployment', 'hello-gateway')).annotations ?? {}).filter((k) => k.startsWith('prometheus.io/'))).toEqual([]);
  });

  test('a PodMonitor for prometheus-operator, on request, scrapes the gateway pods on the admin port', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, gateway: { metrics: { podMonitor: true, podMonitorLabels: { release: 'kube-prometheus' } } } });
    const objects = Testing.synth(c) as Obj[];
    expect(validateManifests(objects, { allowKinds: ['monitoring.coreos.com/v1/PodMonitor'], ignore: ['LAST_APPLIED_TOO_LARGE'] })).toEqual([]);
    const monitor = find(objects, 'PodMonitor', 'hello-gateway');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata.labels).toEqual(expect.objectContaining({ release: 'kube-prometheus' }));
    expect(monitor.spec.selector).toEqual(find(objects, 'Deployment', 'hello-gateway').spec.selector);
    expect(monitor.spec.podMetricsEndpoints).toEqual([{ port: 'admin', path: '/metrics' }]);
  });

  test('no PodMonitor by default, so clusters without prometheus-operator apply cleanly', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    expect(synthValid(c).filter((o) => o.kind === 'PodMonitor')).toEqual([]);
  });

  test('a sidecar names its admin port uniquely per pod and annotates the consumer pod for scraping', () => {
    // GIVEN two apps injected into one consumer
    const c = chart();
    const one = new LoadBalancedApp(c, 'one', { name: 'one', container: ECHO, gateway: false });
    const two = new LoadBalancedApp(c, 'two', { name: 'two', container: ECHO, gateway: false });
    const d = consumer(c);
    one.addConsumer(d);
    two.addConsumer(d, { port: 15002, adminPort: 9902 });
    const objects = synthValid(c);
    const spec = podSpec(find(objects, 'Deployment', d.name));
    const adminPort = (container: string, port: number) =>
      spec.containers.find((ct: { name: string }) => ct.name === container).ports.find((p: Port) => p.containerPort === port);
    // THEN each sidecar's admin port has its own name
    expect(adminPort('lb-one', 9901).name).toBe('lb-admin-9901');
    expect(adminPort('lb-two', 9902).name).toBe('lb-admin-9902');
    // AND the pod is annotated for the first sidecar, without overwriting
    expect(podMeta(find(objects, 'Deployment', d.name)).annotations).toEqual(
      expect.objectContaining({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9901', 'prometheus.io/path': '/metrics' }),
    );
  });

  test('a consumer’s own prometheus.io annotations are kept', () => {
    const c = chart();
    const app = new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, gateway: false });
    const d = consumer(c);
    d.podMetadata.addAnnotation('prometheus.io/port', '8000');
    app.addConsumer(d);
    const annotations = podMeta(find(synthValid(c), 'Deployment', d.name)).annotations ?? {};
    expect(annotations['prometheus.io/port']).toBe('8000');
    expect(annotations['prometheus.io/scrape']).toBeUndefined();
  });
});

describe('the Grafana dashboard', () => {
  const file = path.join(ROOT, 'dashboards', 'cdk8s-balancer-proxy.json');

  test('is shipped in the package', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('dashboards/*.json');
  });

  test('queries only metrics the proxy exports, and queries each family of them', async () => {
    // GIVEN the proxy's own registry, with its default metrics
    const view: StateView = { endpoints: () => [], healthyCount: () => 0, panic: () => false, describe: () => ({}), queued: () => 0, activeRequests: () => 0, ready: () => true };
    const text = await new ProxyMetrics(view, true).registry.metrics();
    const exported = new Set<string>();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exported.add(name);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(`${name}${s}`);
    }
    // WHEN every expression of the dashboard is read
    const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    const queried = dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/\blb_[a-z0-9_]+/g)].map((m) => m[0])));
    // THEN each one exists, and the main families are on the dashboard
    expect(queried.length).toBeGreaterThan(10);
    expect(queried.filter((name) => !exported.has(name))).toEqual([]);
    for (const family of ['lb_downstream_rq_total', 'lb_downstream_rq_duration_seconds_bucket', 'lb_endpoints_healthy', 'lb_upstream_rq_retry_total', 'lb_outlier_ejections_total', 'lb_pick_none_total']) {
      expect(queried).toContain(family);
    }
  });
});
