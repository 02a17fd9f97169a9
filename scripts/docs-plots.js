#!/usr/bin/env node
// `npm run docs:plots`: runs the shipped scenarios through the simulator and regenerates what
// docs/choosing-an-algorithm.md shows: the plots (docs/plots/*.svg, and the PNGs the README embeds) and the tables
// between its `<!-- BEGIN generated: key -->` / `<!-- END generated: key -->` markers. Deterministic: running it
// twice changes nothing. Needs a build (npm run docs:plots builds first) and the plotting devDependencies.
'use strict';
const { readFileSync, writeFileSync, mkdirSync } = require('node:fs');
const path = require('node:path');
const sim = require('../lib/simulate');

const ROOT = path.resolve(__dirname, '..');
const DOC = path.join(ROOT, 'docs/choosing-an-algorithm.md');
const PLOTS = path.join(ROOT, 'docs/plots');
const README_PNG = new Set(['bench-slow-cdf', 'degraded-fast-fail-no-ejection-share', 'churn-share']);

const S = sim.SCENARIOS;
const ours = ['peak-ewma', 'p2c', 'least-connections', 'round-robin'];
const models = ['nginx-least-conn', 'haproxy-leastconn'];
const noEjection = { outlierDetection: { consecutiveFailures: 1000000 } };
const RUNS = [
  { scenario: S.degraded, algorithms: [...ours, ...models] },
  { scenario: S['degraded-fast-fail'], algorithms: [...ours, ...models] },
  {
    scenario: { ...S['degraded-fast-fail'], name: 'degraded-fast-fail-no-ejection', description: `${S['degraded-fast-fail'].description}; outlier detection off (consecutiveFailures: 1000000), so only the balancer decides` },
    algorithms: ['peak-ewma', 'p2c', 'least-connections', 'nginx-least-conn'],
    proxy: noEjection,
  },
  { scenario: S['heterogeneous-70'], algorithms: ['peak-ewma', 'p2c', 'least-connections', 'least-utilization', 'round-robin', 'nginx-least-conn'] },
  { scenario: S['heterogeneous-90'], algorithms: ['peak-ewma', 'p2c', 'least-connections', 'least-utilization', 'round-robin', 'nginx-least-conn'] },
  { scenario: S.churn, algorithms: [...ours, 'nginx-least-conn'] },
  { scenario: S['bench-slow'], algorithms: [...ours, ...models] },
];

function section(md) {
  // The report's tables without its title, description and time series (the plots show those).
  const start = md.indexOf('| algorithm |');
  const end = md.indexOf('\n## Share of tries per backend over time');
  return md.slice(start, end === -1 ? undefined : end).trim().replace(/\n+## Watched backends\n\n.*\n\n/, '\n\nWatched backends:\n\n');
}

function sensitivity() {
  const rows = ['| fast backends p50 / p99 | peak-ewma: share to slow, p99 | p2c | nginx-least-conn (model) |', '|---|---:|---:|---:|'];
  for (const [p50, p99] of [[1.15, 2], [1.5, 4], [2, 10], [2, 19]]) {
    const sc = sim.benchSlowScenario({ fastMedianMs: p50, fastP99Ms: p99 });
    const cell = (a) => {
      const r = sim.simulate(a, sc, { oracle: false });
      const slow = r.backends.find((b) => b.name === 'slow');
      return `${(slow.share * 100).toFixed(2)}%, ${r.latencyMs.p99.toFixed(1)} ms`;
    };
    rows.push(`| ${p50} / ${p99} ms | ${cell('peak-ewma')} | ${cell('p2c')} | ${cell('nginx-least-conn')} |`);
  }
  return rows.join('\n');
}

function decaySweep() {
  const rows = ['| decayMs | degraded: p99, p99.9, b4 recovers after | heterogeneous-90: p99 | bench-slow: p99, share to slow | bench-slow, fast p99 10 ms: share to slow |', '|---:|---|---:|---|---:|'];
  const noisy = sim.benchSlowScenario({ fastMedianMs: 2, fastP99Ms: 10 });
  for (const decayMs of [10000, 5000, 2000, 1000]) {
    const a = { kind: 'peak-ewma', decayMs };
    const d = sim.simulate(a, S.degraded, { oracle: false });
    const h = sim.simulate(a, S['heterogeneous-90'], { oracle: false });
    const b = sim.simulate(a, S['bench-slow'], { oracle: false });
    const n = sim.simulate(a, noisy, { oracle: false });
    const slow = (r) => `${(r.backends.find((x) => x.name === 'slow').share * 100).toFixed(2)}%`;
    const rec = d.watch[0].recoverMs === null ? 'never' : `${(d.watch[0].recoverMs / 1000).toFixed(1)} s`;
    rows.push(`| ${decayMs}${decayMs === 10000 ? ' (default)' : ''} | ${d.latencyMs.p99.toFixed(1)} ms, ${d.latencyMs.p999.toFixed(1)} ms, ${rec} | ${h.latencyMs.p99.toFixed(1)} ms | ${b.latencyMs.p99.toFixed(2)} ms, ${slow(b)} | ${slow(n)} |`);
  }
  return rows.join('\n');
}

async function main() {
  mkdirSync(PLOTS, { recursive: true });
  const blocks = {};
  for (const run of RUNS) {
    const t0 = Date.now();
    const report = sim.compare(run.algorithms, run.scenario, { proxy: run.proxy });
    const svgs = await sim.renderPlots(report);
    for (const [plot, svg] of Object.entries(svgs)) {
      const name = `${run.scenario.name}-${plot}`;
      writeFileSync(path.join(PLOTS, `${name}.svg`), svg);
      if (README_PNG.has(name)) writeFileSync(path.join(PLOTS, `${name}.png`), await sim.svgToPng(svg, 1400));
    }
    blocks[run.scenario.name] = section(sim.toMarkdown(report));
    process.stderr.write(`docs:plots: ${run.scenario.name} (${run.algorithms.length} algorithms + JSQ) ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  blocks['bench-slow-sensitivity'] = sensitivity();
  blocks['peak-ewma-decay'] = decaySweep();
  let doc = readFileSync(DOC, 'utf8');
  for (const [key, text] of Object.entries(blocks)) {
    const re = new RegExp(`(<!-- BEGIN generated: ${key} -->)[\\s\\S]*?(<!-- END generated: ${key} -->)`);
    if (!re.test(doc)) throw new Error(`docs:plots: ${DOC} has no "<!-- BEGIN generated: ${key} -->" ... "<!-- END generated: ${key} -->" block; fix: add the two markers where the table goes`);
    doc = doc.replace(re, (_m, a, b) => `${a}\n${text}\n${b}`);
  }
  writeFileSync(DOC, doc);
  process.stderr.write(`docs:plots: wrote ${path.relative(ROOT, DOC)} and docs/plots/\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exitCode = 1;
});
