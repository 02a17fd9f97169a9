import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { buildApp, HelloChart, synthAtomically } from '../../src/main';
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

  test('writes byte-identical YAML on every run', () => {
    const dir = workdir();
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    expect(synthAtomically(a, buildApp)).toEqual(['hello.k8s.yaml']);
    synthAtomically(b, buildApp);
    const first = readFileSync(path.join(a, 'hello.k8s.yaml'), 'utf8');
    expect(readFileSync(path.join(b, 'hello.k8s.yaml'), 'utf8')).toBe(first);
    expect(parseAllDocuments(first).length).toBeGreaterThan(10);
  });

  test('replaces the old YAML, removes stale charts, keeps other files and leaves no staging directory', () => {
    const dir = workdir();
    const out = path.join(dir, 'dist');
    mkdirSync(out);
    writeFileSync(path.join(out, 'hello.k8s.yaml'), 'old');
    writeFileSync(path.join(out, 'gone.k8s.yaml'), 'stale');
    writeFileSync(path.join(out, 'README.md'), 'keep');
    synthAtomically(out, buildApp);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'hello.k8s.yaml']);
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
