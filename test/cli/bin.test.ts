/**
 * The installed command (`lib/cli/main.js`, the package's `cdk8s-balancer` bin) as a real process: exit codes, stdin,
 * and speed on 1000 objects (a pre-commit hook must stay well under 2 s).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ApiObject, App, Chart } from 'cdk8s';
import { LoadBalancedApp } from '../../src';
import { BAD_DEPLOYMENT, lineOf, tempDir, write } from './fixtures';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'lib/cli/main.js');

function bin(args: string[], input?: string): { status: number | null; stdout: string; stderr: string; ms: number } {
  const start = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - start };
}

/**
 * Exactly `total` objects in one chart and namespace: as many LoadBalancedApps as fit (each writes the same number of
 * objects, and the chart one bundle ConfigMap), padded with plain ConfigMaps.
 */
function manyObjects(total: number): string {
  const dir = tempDir('lb-cli-many-');
  const app = new App({ outdir: dir });
  const chart = new Chart(app, 'many');
  const add = (i: number) =>
    new LoadBalancedApp(chart, `a${i}`, { name: `a${i}`, container: { image: 'ghcr.io/example/hello:1.0.0', ports: [{ name: 'http', number: 3000 }] }, config: { GREETING: 'hi' } });
  add(0);
  const perApp = chart.toJson().length - 1; // one of them is the shared bundle ConfigMap
  let count = perApp + 1;
  for (let i = 1; count + perApp <= total; i++, count += perApp) add(i);
  for (let i = 0; count < total; i++, count++) new ApiObject(chart, `pad${i}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `pad-${i}` }, data: { k: 'v' } });
  app.synth();
  return dir;
}

beforeAll(() => {
  expect(existsSync(BIN)).toBe(true); // npm test builds first
});

test('exits 0 on clean input, 1 on problems and 2 on a usage error, as a process', () => {
  const good = write(tempDir(), 'good.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata: {}\n');
  const bad = write(tempDir(), 'bad.yaml', BAD_DEPLOYMENT);
  expect(bin(['validate', good])).toMatchObject({ status: 0, stderr: '' });
  expect(bin(['validate', bad])).toMatchObject({ status: 1, stdout: expect.stringContaining('[HARDEN_IMAGE_NOT_PINNED]') });
  expect(bin(['validate', '--format', 'yaml', bad])).toMatchObject({ status: 2, stdout: '', stderr: expect.stringContaining('--format must be one of') });
  expect(bin([])).toMatchObject({ status: 2, stderr: expect.stringContaining('usage: cdk8s-balancer <command>') });
});

test('reads standard input with -', () => {
  const r = bin(['validate', '--format', 'json', '--external-secret', 'db-credentials', '-'], BAD_DEPLOYMENT);
  expect(r.status).toBe(1);
  const line = lineOf(BAD_DEPLOYMENT, 'image: nginx:latest');
  expect(JSON.parse(r.stdout).problems).toEqual([expect.objectContaining({ file: '-', code: 'HARDEN_IMAGE_NOT_PINNED', line })]);
});

test('validates 1000 objects fast enough for a pre-commit hook', () => {
  const dir = manyObjects(1000);
  const yaml = readFileSync(path.join(dir, 'many.k8s.yaml'), 'utf8');
  expect(yaml.split(/^---$/m)).toHaveLength(1000);
  const runs = [bin(['validate', dir]), bin(['validate', dir])];
  for (const r of runs) expect(r).toMatchObject({ status: 0, stdout: 'cdk8s-balancer validate: 1000 objects in 1 file: no problems\n' });
  const best = Math.min(...runs.map((r) => r.ms));
  // The target is 2 s on a developer's machine; the bound is generous for a loaded CI machine.
  console.log(`validate: 1000 objects (${(yaml.length / 1024 / 1024).toFixed(1)} MiB of YAML) in ${best.toFixed(0)} ms, process start included`);
  expect(best).toBeLessThan(6000);
});
