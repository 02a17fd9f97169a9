import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { AppSecret, GatewayTls, Protocol } from '../../src';
import { buildApp, CacheChart, GreeterChart, HelloChart, synthAtomically } from '../../src/main';
import { validateManifests } from '../../src/testing';
import { find, Obj, podSpec, MIGRATE_JOB, SMOKE_JOB } from './helpers';

function workdir(): string {
  return mkdtempSync(path.join(tmpdir(), 'lb-main-'));
}

describe('the example app (src/main.ts)', () => {
  test('synthesizes a valid chart with gateway, sidecar consumer, migration and smoke test', () => {
    const chart = new HelloChart(Testing.app(), 'hello');
    const objects = Testing.synth(chart) as Obj[];
    // Issue 8, finding 12: no external objects assumed: every Secret and ConfigMap the pods need is in the output.
    expect(validateManifests(objects)).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual(['hello-secret']);
    expect(find(objects, 'Deployment', 'hello').spec.replicas).toBe(3);
    expect(find(objects, 'Deployment', 'hello-gateway')).toBeDefined();
    const cfg = JSON.parse(objects.find((o) => o.metadata.name?.startsWith('hello-lb-gateway-'))!.data!['config.json']);
    expect(cfg.algorithm.kind).toBe('peak-ewma');
    expect(podSpec(find(objects, 'Deployment', 'hello-client')).containers.map((c: { name: string }) => c.name)).toEqual(['client', 'lb-hello']);
    expect(find(objects, 'Job', MIGRATE_JOB)).toBeDefined();
    expect(find(objects, 'Job', SMOKE_JOB)).toBeDefined();
  });

  test('the gRPC example balances calls over h2c with gRPC health checks and an Ingress that keeps gRPC, and validates', () => {
    // GIVEN the greeter chart as `npm run synth` writes it
    const objects = Testing.synth(new GreeterChart(Testing.app(), 'greeter')) as Obj[];
    // THEN nothing is external, and the proxy config is a gRPC listener checking the podinfo service
    expect(validateManifests(objects)).toEqual([]);
    const cfg = JSON.parse(objects.find((o) => o.metadata.name?.startsWith('greeter-lb-gateway-'))!.data!['config.json']);
    expect(cfg.listener).toMatchObject({ protocol: 'grpc', port: 8080, maxConnectionAgeMs: 300000 });
    expect(cfg.healthCheck.grpcService).toBe('podinfo');
    expect(cfg.upstream.port).toBe(9999);
    expect(find(objects, 'Service', 'greeter').spec.ports[0].appProtocol).toBe('kubernetes.io/h2c');
    expect(find(objects, 'Ingress', 'greeter').metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' });
  });

  test('the gRPC example with TLS at the gateway from a demo pair still validates with nothing external', () => {
    // GIVEN the greeter chart with a kubernetes.io/tls Secret made from values (not a real pair: only keys are read)
    const pair = AppSecret.fromValues({ 'tls.crt': 'demo-certificate-pem', 'tls.key': 'demo-private-key-pem' }, { type: 'kubernetes.io/tls' });
    const objects = Testing.synth(new GreeterChart(Testing.app(), 'greeter', { tls: GatewayTls.fromAppSecret(pair) })) as Obj[];
    // THEN
    expect(validateManifests(objects)).toEqual([]);
    expect(find(objects, 'Secret', 'greeter-gateway-tls')).toMatchObject({ type: 'kubernetes.io/tls' });
    expect(find(objects, 'Ingress', 'greeter').metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPCS' });
  });

  test('the TCP example balances connections with no HTTP anywhere on the data path, and validates', () => {
    const chart = new CacheChart(Testing.app(), 'cache');
    const objects = Testing.synth(chart) as Obj[];
    expect(validateManifests(objects)).toEqual([]);
    expect(chart.app.props.protocol).toEqual(Protocol.tcp());
    const cfg = JSON.parse(objects.find((o) => o.metadata.name?.startsWith('cache-lb-gateway-'))!.data!['config.json']);
    expect(cfg.listener).toEqual({ protocol: 'tcp', host: '0.0.0.0', port: 8080 });
    expect(cfg.algorithm.kind).toBe('least-connections');
    expect(podSpec(find(objects, 'Deployment', 'cache')).containers[0].readinessProbe.tcpSocket).toEqual({ port: 6379 });
  });

  test('writes byte-identical YAML on every run', () => {
    const dir = workdir();
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    expect(synthAtomically(a, buildApp)).toEqual(['cache.k8s.yaml', 'greeter.k8s.yaml', 'hello.k8s.yaml']);
    synthAtomically(b, buildApp);
    for (const f of ['cache.k8s.yaml', 'greeter.k8s.yaml', 'hello.k8s.yaml']) {
      const first = readFileSync(path.join(a, f), 'utf8');
      expect(readFileSync(path.join(b, f), 'utf8')).toBe(first);
      expect(parseAllDocuments(first).length).toBeGreaterThan(8);
    }
  });

  test('replaces the old YAML, removes stale charts, keeps other files and leaves no staging directory', () => {
    const dir = workdir();
    const out = path.join(dir, 'dist');
    mkdirSync(out);
    writeFileSync(path.join(out, 'hello.k8s.yaml'), 'old');
    writeFileSync(path.join(out, 'gone.k8s.yaml'), 'stale');
    writeFileSync(path.join(out, 'README.md'), 'keep');
    synthAtomically(out, buildApp);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'cache.k8s.yaml', 'greeter.k8s.yaml', 'hello.k8s.yaml']);
    expect(readFileSync(path.join(out, 'hello.k8s.yaml'), 'utf8')).toContain('kind: Deployment');
    expect(readdirSync(dir)).toEqual(['dist']);
  });

  test('fails without touching the outdir when synthesis throws', () => {
    const dir = workdir();
    const out = path.join(dir, 'dist');
    mkdirSync(out);
    writeFileSync(path.join(out, 'hello.k8s.yaml'), 'previous good output');
    const broken = (app: App) => {
      new Chart(app, 'first');
      buildApp(app);
      throw new Error('LB_PROPS_INVALID: boom');
    };
    expect(() => synthAtomically(out, broken)).toThrow('LB_PROPS_INVALID: boom');
    expect(readdirSync(out)).toEqual(['hello.k8s.yaml']);
    expect(readFileSync(path.join(out, 'hello.k8s.yaml'), 'utf8')).toBe('previous good output');
    expect(readdirSync(dir)).toEqual(['dist']);
    expect(existsSync(path.join(out, 'first.k8s.yaml'))).toBe(false);
  });
});
