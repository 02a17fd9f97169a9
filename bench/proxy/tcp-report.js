#!/usr/bin/env node
// Reads the JSON lines tcp.sh wrote, prints one table per mode (keepalive, close; medians over runs) with ratios
// against the better L4 peer (nginx stream, HAProxy mode tcp), and writes results.json.
// Usage: node tcp-report.js <out-dir>
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
const PEERS = ['nginx-stream', 'haproxy-tcp'];

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
const fmt = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

const results = { meta, modes: {}, raw: lines };
for (const mode of [...new Set(lines.filter((l) => l.kind === 'wrk').map((l) => l.mode))]) {
  const runs = lines.filter((l) => l.kind === 'wrk' && l.mode === mode);
  const rows = [...new Set(runs.map((r) => r.target))].map((target) => {
    const rs = runs.filter((r) => r.target === target);
    return {
      target,
      runs: rs.length,
      rps: median(rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      errors: rs.reduce((a, r) => a + r.socketErrors + r.non2xx, 0),
    };
  });
  const peers = rows.filter((r) => PEERS.includes(r.target));
  const bestRps = Math.max(...peers.map((r) => r.rps));
  const bestP99 = Math.min(...peers.map((r) => r.p99Ms));
  for (const r of rows) {
    r.rpsVsBest = Number.isFinite(bestRps) && bestRps > 0 ? r.rps / bestRps : null;
    r.p99VsBest = Number.isFinite(bestP99) && bestP99 > 0 ? r.p99Ms / bestP99 : null;
  }
  results.modes[mode] = rows;
  const title = mode === 'close' ? 'a new connection per request (Connection: close)' : 'keep-alive connections';
  console.log(`\nTCP mode, ${title}, ${meta.conns} connections, ${meta.secs} s, ${meta.runs} run(s), one core per proxy`);
  console.log('| target | req/s | p50 ms | p99 ms | errors | rps/best peer | p99/best peer |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.target} | ${fmt(r.rps, 0)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${r.errors} | ${fmt(r.rpsVsBest)} | ${fmt(r.p99VsBest)} |`);
  }
}
const failed = lines.filter((l) => l.kind === 'failed');
if (failed.length > 0) console.log(`\nfailed to start: ${failed.map((f) => `${f.mode}/${f.target}`).join(', ')}`);
fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
console.log(`\nraw output and results.json in ${dir}`);
