#!/usr/bin/env node
// Reads the JSON lines h2.sh wrote, prints one table per mode (h2, grpc; medians over runs) with ratios against the
// better peer (nginx, HAProxy) of the same run, and writes results.json.
// Usage: node h2-report.js <out-dir>
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
const sum = (xs) => xs.reduce((a, x) => a + (x ?? 0), 0);
function spreadOf(check) {
  if (!check || !check.backends) return null;
  const counts = ['127.0.0.11', '127.0.0.12', '127.0.0.13'].map((b) => check.backends[b] ?? 0);
  return counts.some((n) => n > 0) ? counts.join('/') : 'no x-backend';
}
const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
const PEERS = ['nginx', 'haproxy'];
// Issue 7's targets for this proxy: at least half the better peer's req/s, p99 at most 3x the better peer's p99.
const RPS_TARGET = 0.5;
const P99_TARGET = 3;

const results = { meta, modes: {}, skipped: [], failed: [], raw: lines };
const titles = {
  h2: 'HTTP/2: h2c GET on both sides',
  grpc: 'gRPC unary: POST /helloworld.Greeter/SayHello over h2c on both sides',
  'h2-h1': 'h2c clients, HTTP/1.1 backends',
};
for (const mode of ['h2', 'grpc', 'h2-h1']) {
  const runs = lines.filter((l) => l.kind === 'h2load' && l.mode === mode);
  if (runs.length === 0 && !lines.some((l) => l.mode === mode && (l.kind === 'skipped' || l.kind === 'failed'))) continue;
  const targets = [...new Set(runs.map((r) => r.target))];
  const rows = targets.map((target) => {
    const rs = runs.filter((r) => r.target === target);
    const requests = sum(rs.map((r) => r.requests));
    return {
      target,
      via: rs[0].via,
      runs: rs.length,
      rps: median(rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      p999Ms: median(rs.map((r) => r.p999Ms)),
      meanMs: median(rs.map((r) => r.meanMs)),
      requests,
      errors: sum(rs.map((r) => r.errors)),
      non2xx: sum(rs.map((r) => (r.s3xx ?? 0) + (r.s4xx ?? 0) + (r.s5xx ?? 0))),
      unparsed: rs.filter((r) => !r.parsed || r.h2loadExit !== 0).length,
      exitedDuringRun: rs.some((r) => r.proxyAlive === false),
      bodyRatio: median(rs.map((r) => r.bodyRatio)),
      checkAfter: rs.some((r) => r.checkAfter?.ok === false) ? false : rs.every((r) => r.checkAfter?.ok === true) ? true : null,
      // Answers per backend (127.0.0.11, .12, .13) to the 30 requests over one connection after the last run.
      spread: spreadOf(rs[rs.length - 1].checkAfter),
      cpuProxyPct: median(rs.map((r) => r.cpuProxyPct)),
      cpuLoadPct: median(rs.map((r) => r.cpuLoadPct)),
      rssMaxKb: median(rs.map((r) => r.rssMaxKb)),
      rssSteadyKb: median(rs.map((r) => r.rssSteadyKb)),
      anonSteadyKb: median(rs.map((r) => r.anonSteadyKb)),
      hwmKb: median(rs.map((r) => r.hwmKb)),
    };
  });
  // "Sound" row: it ran, h2load's output parsed, no failed/errored/timed-out request, every 2xx carried the full body,
  // and (gRPC) the calls made with grpc-js after the run were OK. Ratios of rows that are not sound are still shown,
  // but marked, and a peer that is not sound is no reference.
  for (const r of rows) {
    r.problems = [];
    if (r.unparsed) r.problems.push('h2load failed or its output did not parse');
    else if (!r.requests || !r.rps) r.problems.push('no request completed');
    if (r.exitedDuringRun) r.problems.push('the proxy exited during the run');
    if (r.errors > 0.001 * Math.max(1, r.requests)) r.problems.push(`${r.errors} failed/errored requests`);
    if (r.bodyRatio !== null && r.bodyRatio < 0.99) r.problems.push(`only ${(r.bodyRatio * 100).toFixed(1)}% of the expected response bytes (2xx without a body${mode === 'grpc' ? ': gRPC errors as Trailers-Only?' : ''})`);
    if (r.checkAfter === false) r.problems.push(`the ${mode === 'grpc' ? 'grpc-js calls' : 'h2c GETs'} after the run were not all OK`);
    r.sound = r.problems.length === 0;
  }
  const peers = rows.filter((r) => PEERS.includes(r.via) && r.sound && r.rps);
  const bestRps = peers.length ? Math.max(...peers.map((r) => r.rps)) : null;
  const bestRpsPeer = peers.find((r) => r.rps === bestRps)?.target ?? null;
  const bestP99 = peers.length ? Math.min(...peers.map((r) => r.p99Ms)) : null;
  for (const r of rows) {
    r.rpsVsBestPeer = bestRps ? r.rps / bestRps : null;
    r.p99VsBestPeer = bestP99 ? r.p99Ms / bestP99 : null;
    if (r.via === 'this-proxy') {
      r.meetsTargets =
        r.sound && r.rpsVsBestPeer !== null && r.p99VsBestPeer !== null
          ? r.rpsVsBestPeer >= RPS_TARGET && r.p99VsBestPeer <= P99_TARGET
          : null;
    }
  }
  results.modes[mode] = { bestRpsPeer, bestRps, bestP99Ms: bestP99, rows };

  console.log(`\n== ${mode}: ${titles[mode]}`);
  console.log(`   ${meta.modes[mode].describe}`);
  console.log(
    `   h2load -t1 -c${meta.clients} -m${meta.streams} -D${meta.secs} after a ${meta.warmupSecs} s warm-up run, ${meta.runs} run(s)${meta.runs > 1 ? ' (medians)' : ''}; ` +
      'proxies on CPU 0, h2load + backends on CPU 1; percentiles from h2load --log-file',
  );
  console.log(`   best peer: ${bestRpsPeer ?? 'none (no sound nginx/HAProxy row)'}; rps/best = req/s / the better peer's; p99/best = p99 / the lower peer p99`);
  const head = ['target', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'rps/best', 'p99/best', 'errors', 'non-2xx', 'body', 'CPU0 %', 'CPU1 %', 'check', 'spread', 'RSS MiB', 'note'];
  const body = rows.map((r) => [
    r.target,
    fmt(r.rps, 0),
    fmt(r.p50Ms),
    fmt(r.p99Ms),
    fmt(r.p999Ms),
    fmt(r.rpsVsBestPeer),
    fmt(r.p99VsBestPeer),
    String(r.errors),
    String(r.non2xx),
    r.bodyRatio === null ? '-' : fmt(r.bodyRatio, 3),
    fmt(r.cpuProxyPct, 0),
    fmt(r.cpuLoadPct, 0),
    r.checkAfter === null ? '-' : r.checkAfter ? 'OK' : 'FAIL',
    r.spread ?? '-',
    r.rssMaxKb ? fmt(r.rssMaxKb / 1024, 1) : '-',
    [
      !r.sound ? `NOT SOUND: ${r.problems.join('; ')}` : r.meetsTargets === true ? 'meets issue-7 targets' : r.meetsTargets === false ? 'MISSES issue-7 targets' : '',
      // Every stream is to be balanced on its own: round robin over one connection must reach all three backends.
      r.via !== 'direct' && r.spread && /^\d+\/\d+\/\d+$/.test(r.spread) && r.spread.split('/').filter((n) => n !== '0').length < 3
        ? 'NOT SPREAD: one connection reached fewer than 3 backends'
        : '',
    ]
      .filter(Boolean)
      .join('; '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  for (const s of lines.filter((l) => l.kind === 'skipped' && l.mode === mode)) {
    console.log(`SKIPPED: ${s.target} (run ${s.run}): ${s.reason}`);
    results.skipped.push(s);
  }
  for (const f of lines.filter((l) => l.kind === 'failed' && l.mode === mode)) {
    console.log(`FAILED: ${f.target} run ${f.run} did not become ready or did not answer (see its log in ${dir})`);
    results.failed.push(f);
  }
}
console.log(
  '\ncolumns: body = DATA bytes received / (expected body bytes x 2xx responses), 1.000 when every answer carried its body; ' +
    'CPU0/CPU1 % = busy share of the proxy core / the h2load+backend core during the measured window; ' +
    'check = 30 requests over one connection after the run (gRPC: real @grpc/grpc-js calls; else h2c GETs), all OK; ' +
    'spread = how many of those 30 each backend (.11/.12/.13) answered',
);
for (const [mode, m] of Object.entries(results.modes)) {
  for (const r of m.rows.filter((x) => x.hwmKb)) {
    const mib = (kb) => (kb ? fmt(kb / 1024, 1) : '-');
    console.log(`${mode}/${r.target}: VmRSS steady ${mib(r.rssSteadyKb)} / peak ${mib(r.rssMaxKb)} MiB, RssAnon steady ${mib(r.anonSteadyKb)} MiB, VmHWM ${mib(r.hwmKb)} MiB`);
  }
}
fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
console.log(`\nraw results: ${path.join(dir, 'results.json')}`);
