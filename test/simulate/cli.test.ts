import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';

const ROOT = path.resolve(__dirname, '../..');

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

describe('cdk8s-balancer simulate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sim-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('writes a Markdown report with the table, and shows progress on stderr', async () => {
    const { io: sink, out, err } = io();
    const code = await main(['simulate', '--scenario', 'churn', '--algorithms', 'peak-ewma,round-robin', '--out', dir, '--no-plots'], sink);
    expect(code).toBe(0);
    const md = readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/^# Simulation: churn/);
    expect(md).toMatch(/\| peak-ewma \| [\d.]+ \| [\d.]+ \|/);
    expect(md).toMatch(/\| peak-ewma \| n1 \|  \| [\d.]+ s \| 0\.\d+ \|/);
    expect(md).toMatch(/\| jsq \|/);
    expect(err.join('\n')).toMatch(/peak-ewma done \(1\/3/);
    expect(out).toEqual([`wrote ${path.join(dir, 'report.md')}`]);
  });

  test('runs a scenario from a user file', async () => {
    const file = path.join(dir, 'mine.js');
    writeFileSync(
      file,
      `module.exports = { name: 'mine', description: 'mine', durationMs: 2000, backends: [{ name: 'x', latency: { kind: 'fixed', ms: 1 } }], load: { kind: 'open', ratePerSec: 100 } };`,
    );
    const { io: sink } = io();
    expect(await main(['simulate', '--scenario', file, '--algorithms', 'p2c', '--out', dir, '--no-plots'], sink)).toBe(0);
    expect(readFileSync(path.join(dir, 'report.md'), 'utf8')).toMatch(/# Simulation: mine/);
  });

  test.each([
    [['--algorithms', 'p2c'], /--scenario is required; fix: --scenario degraded/],
    [['--scenario', 'nope'], /--scenario: no shipped scenario is named "nope"; fix: use one of degraded, degraded-fast-fail/],
    [['--scenario', 'degraded', '--algorithms', 'p2c,fastest'], /--algorithms: unknown algorithm\(s\) "fastest"; fix: use a comma list of/],
    [['--scenario', 'degraded', '--seed', 'x'], /--seed must be an integer, got "x"; fix: --seed 42/],
    [['--scenario', 'degraded', '--bogus'], /Unknown option '--bogus'.*; fix: see the options below/],
  ])('fails with exit 2, naming the flag, the value and the fix: %j', async (args, message) => {
    const { io: sink, err } = io();
    expect(await main(['simulate', ...args, '--out', dir], sink)).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(existsSync(path.join(dir, 'report.md'))).toBe(false);
  });

  test('--help lists the shipped scenarios and the algorithms', async () => {
    const { io: sink, out } = io();
    expect(await main(['simulate', '--help'], sink)).toBe(0);
    expect(out.join('\n')).toMatch(/bench-slow.*\n[\s\S]*nginx-least-conn/);
  });
});

// The plots load vega through a real dynamic import, which needs plain Node (not jest's module sandbox): these run the
// built CLI (npm test builds first).
describe('plots (built CLI)', () => {
  const cli = path.join(ROOT, 'lib/cli/main.js');
  let dir: string;
  let scenario: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sim-plots-'));
    scenario = path.join(dir, 'small.js');
    writeFileSync(
      scenario,
      `module.exports = { name: 'small', description: 'small', durationMs: 3000, backends: [{ name: 'x', latency: { kind: 'fixed', ms: 1 } }, { name: 'y', latency: { kind: 'fixed', ms: 3 } }], load: { kind: 'closed', clients: 4 } };`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('draws the three plots as SVG and PNG, and links them from the report', () => {
    execFileSync(process.execPath, [cli, 'simulate', '--scenario', scenario, '--algorithms', 'p2c', '--out', dir, '--png', '--seed', '2'], { stdio: 'pipe' });
    for (const plot of ['cdf', 'share', 'inflight']) {
      expect(readFileSync(path.join(dir, `small-${plot}.svg`), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
      expect(readFileSync(path.join(dir, `small-${plot}.png`)).subarray(1, 4).toString()).toBe('PNG');
    }
    expect(readFileSync(path.join(dir, 'report.md'), 'utf8')).toMatch(/!\[Latency CDF per algorithm\]\(small-cdf\.svg\)/);
  });

  test('without the plotting packages, fails naming the npm i -D fix (the Markdown report still works with --no-plots)', () => {
    // A copy of the built library where vega cannot be resolved: node_modules is not above it.
    const copy = path.join(dir, 'nolibs');
    execFileSync('cp', ['-r', path.join(ROOT, 'lib'), copy]);
    const run = (args: string[]) => {
      try {
        execFileSync(process.execPath, [path.join(copy, 'cli/main.js'), 'simulate', '--scenario', scenario, '--algorithms', 'p2c', '--out', path.join(dir, 'r'), ...args], {
          stdio: 'pipe',
          env: { ...process.env, NODE_PATH: path.join(dir, 'np') },
        });
        return { code: 0, stderr: '' };
      } catch (e) {
        const x = e as { status: number; stderr: Buffer };
        return { code: x.status, stderr: x.stderr.toString() };
      }
    };
    execFileSync('mkdir', ['-p', path.join(dir, 'np')]);
    execFileSync('ln', ['-s', path.join(ROOT, 'node_modules/zod'), path.join(dir, 'np/zod')]);
    const failed = run([]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/LB_SIMULATE_PLOTS_MISSING: drawing plots needs the package "vega-lite", which is not installed; fix: npm i -D vega@6 vega-lite@6 @resvg\/resvg-js@2/);
    expect(failed.stderr).toMatch(/or run with --no-plots/);
    expect(run(['--no-plots']).code).toBe(0);
  });
});
