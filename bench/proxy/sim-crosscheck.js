#!/usr/bin/env node
// Cross-checks the simulator against a slow-mode bench run: for each row, the share of requests the 20 ms backend
// served (the backends' own counters) against the share the simulator predicts for scenario 4 (bench-slow).
//
// The simulator's quiet-machine model (Node timers of 1-2 ms, 1 ms per try for loopback and the proxy) is also printed,
// but a busy machine adds queueing in the proxy and the load generator to every try. So each row is calibrated on its
// own *latency*, never on its share: the per-try overhead becomes a lognormal round trip whose median makes the
// simulated p50 equal the row's measured p50, and whose p99 / median is the `direct` row's p99 / p50 (the machine's
// noise, measured without any balancing). Then the share is predicted and compared. Tolerance: ±2.5 percentage points.
//
// usage: npm run build && node bench/proxy/sim-crosscheck.js .bench-out/proxy-<stamp> [more dirs]
'use strict';
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { simulate, benchSlowScenario, scaleTime } = require('../../lib/simulate');

const TOLERANCE_PP = 2.5;
const ALGORITHM = {
  nginx: 'nginx-least-conn',
  haproxy: 'haproxy-leastconn',
  'this-proxy-peak-ewma': 'peak-ewma',
  'this-proxy-p2c': 'p2c',
  'this-proxy-least-conn': 'least-connections',
  'this-proxy-rr': 'round-robin',
};
// 6 s of virtual time per trial: the share settles within a second, and the calibration runs ~10 trials per row.
const base = scaleTime(benchSlowScenario(), 0.3);

function calibrated(algorithm, p50, noise) {
  let lo = 0.05;
  let hi = 15;
  let r;
  for (let i = 0; i < 10; i++) {
    const m = (lo + hi) / 2;
    r = simulate(algorithm, { ...base, network: { kind: 'lognormal', medianMs: m, p99Ms: m * noise } }, { oracle: false });
    if (r.latencyMs.p50 < p50) lo = m;
    else hi = m;
  }
  return { medianMs: (lo + hi) / 2, share: r.backends[2].share };
}

const quiet = {};
let worst = 0;
console.log('| run | row | bench: share to slow | sim, quiet model | row p50 -> sim round trip (median / p99) | sim, calibrated | difference |');
console.log('|---|---|---:|---:|---|---:|---:|');
for (const dir of process.argv.slice(2)) {
  const rows = readFileSync(path.join(dir, 'raw.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.kind === 'wrk' && r.mode === 'slow');
  const direct = rows.find((r) => r.target === 'direct');
  const noise = direct ? direct.p99Ms / direct.p50Ms : 2;
  for (const row of rows) {
    const algorithm = ALGORITHM[row.target];
    if (!algorithm || !row.backendCountsAfter) continue;
    const served = row.backendCountsAfter.map((n, i) => n - row.backendCountsBefore[i]);
    const share = served[2] / served.reduce((a, b) => a + b, 0);
    quiet[algorithm] ??= simulate(algorithm, benchSlowScenario(), { oracle: false }).backends[2].share;
    const c = calibrated(algorithm, row.p50Ms, noise);
    const diff = (c.share - share) * 100;
    worst = Math.max(worst, Math.abs(diff));
    const pc = (x) => `${(x * 100).toFixed(1)}%`;
    console.log(`| ${path.basename(dir)} | ${row.target} | ${pc(share)} | ${pc(quiet[algorithm])} | ${row.p50Ms} ms -> ${c.medianMs.toFixed(2)} / ${(c.medianMs * noise).toFixed(1)} ms | ${pc(c.share)} | ${diff >= 0 ? '+' : ''}${diff.toFixed(1)} pp |`);
  }
}
console.log(`\nlargest difference ${worst.toFixed(1)} pp; tolerance ±${TOLERANCE_PP} pp: ${worst <= TOLERANCE_PP ? 'agree' : 'DISAGREE'}`);
process.exitCode = worst <= TOLERANCE_PP ? 0 : 1;
