#!/usr/bin/env node
// Reads the JSON lines run.sh wrote, prints one table per mode (medians over runs) and writes results.json.
// Usage: node report.js <out-dir>
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
const lines = fs
  .readFileSync(path.join(dir, 'raw.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
function b3Share(r) {
  const a = r.backendCountsBefore;
  const b = r.backendCountsAfter;
  if (!Array.isArray(a) || !Array.isArray(b) || a.concat(b).some((x) => typeof x !== 'number')) return null;
  const d = b.map((x, i) => x - a[i]);
  const total = d.reduce((x, y) => x + y, 0);
  return total > 0 ? d[2] / total : null;
}
const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

const results = { meta, modes: {}, startup: lines.find((l) => l.kind === 'startup') ?? null, raw: lines };
for (const mode of [...new Set(lines.filter((l) => l.kind === 'wrk').map((l) => l.mode))]) {
  const runs = lines.filter((l) => l.kind === 'wrk' && l.mode === mode);
  const targets = [...new Set(runs.map((r) => r.target))];
  const rows = targets.map((target) => {
    const rs = runs.filter((r) => r.target === target);
    return {
      target,
      via: rs[0].via,
      algorithm: rs[0].algorithm,
      runs: rs.length,
      rps: median(rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      errors: rs.reduce((a, r) => a + r.socketErrors + r.non2xx, 0),
      rssMaxKb: median(rs.map((r) => r.rssMaxKb)),
      hwmKb: median(rs.map((r) => r.hwmKb)),
      rssSteadyKb: median(rs.map((r) => r.rssSteadyKb)),
      anonSteadyKb: median(rs.map((r) => r.anonSteadyKb)),
      anonMaxKb: median(rs.map((r) => r.anonMaxKb)),
      // Share of the measured requests served by the third backend (the 20 ms one in slow mode).
      b3Share: median(rs.map(b3Share)),
    };
  });
  const nginx = rows.find((r) => r.via === 'nginx');
  const bestP99 = Math.min(...rows.filter((r) => r.via === 'nginx' || r.via === 'haproxy').map((r) => r.p99Ms));
  for (const r of rows) {
    r.rpsVsNginx = nginx && nginx.rps ? r.rps / nginx.rps : null;
    r.p99VsBest = Number.isFinite(bestP99) && bestP99 > 0 ? r.p99Ms / bestP99 : null;
  }
  results.modes[mode] = rows;

  const m = meta.modes[mode];
  console.log(`\n== ${mode}: ${m.describe}`);
  console.log(`   wrk -t1 -c${m.conns} -d${meta.secs}s, ${meta.runs} run(s)${meta.runs > 1 ? ' (medians)' : ''}; proxies on CPU 0, wrk + backends on CPU 1`);
  const shares = rows.some((r) => r.b3Share !== null);
  const head = ['target', 'algorithm', 'req/s', 'p50 ms', 'p99 ms', 'rps/nginx', 'p99/best(ngx,hap)', 'errors', 'RSS max MiB'];
  if (shares) {
    head.push('to .13');
    console.log('   "to .13": share of the measured requests that the third backend (127.0.0.13) served');
  }
  const body = rows.map((r) => [
    r.target,
    r.algorithm,
    fmt(r.rps, 0),
    fmt(r.p50Ms),
    fmt(r.p99Ms),
    fmt(r.rpsVsNginx),
    fmt(r.p99VsBest),
    String(r.errors),
    r.rssMaxKb ? fmt(r.rssMaxKb / 1024, 1) : '-',
    ...(shares ? [r.b3Share === null ? '-' : `${(r.b3Share * 100).toFixed(1)}%`] : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}
for (const f of lines.filter((l) => l.kind === 'failed')) {
  console.log(`FAILED: ${f.mode} ${f.target} run ${f.run} did not become ready (see its log in ${dir})`);
}
if (results.startup) {
  console.log(`\nthis proxy, spawn to first /readyz 200: median ${results.startup.medianMs} ms over ${results.startup.samplesMs.length} starts (${results.startup.samplesMs.join(', ')} ms)`);
}
for (const rows of Object.values(results.modes)) {
  for (const r of rows.filter((x) => x.hwmKb)) {
    const mib = (kb) => (kb ? fmt(kb / 1024, 1) : '-');
    console.log(
      `${r.target}: VmRSS steady ${mib(r.rssSteadyKb)} / peak ${mib(r.rssMaxKb)} MiB, RssAnon steady ${mib(r.anonSteadyKb)} / peak ${mib(r.anonMaxKb)} MiB, VmHWM ${mib(r.hwmKb)} MiB (median over runs)`,
    );
  }
}
fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
console.log(`\nraw results: ${path.join(dir, 'results.json')}`);
