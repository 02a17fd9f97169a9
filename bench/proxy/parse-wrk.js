#!/usr/bin/env node
// Turns wrk's text output (with --latency) into one JSON object on stdout.
// Usage: node parse-wrk.js <wrk-output-file> '<extra json fields>'
'use strict';
const fs = require('node:fs');

const text = fs.readFileSync(process.argv[2], 'utf8');
const extra = process.argv[3] ? JSON.parse(process.argv[3]) : {};

function toMs(value, unit) {
  const v = Number(value);
  switch (unit) {
    case 'us':
      return v / 1000;
    case 'ms':
      return v;
    case 's':
      return v * 1000;
    case 'm':
      return v * 60_000;
    default:
      throw new Error(`unknown wrk latency unit ${unit}`);
  }
}
function percentile(p) {
  const m = text.match(new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm'));
  return m ? toMs(m[1], m[2]) : null;
}
const rps = text.match(/^Requests\/sec:\s+([\d.]+)/m);
const total = text.match(/^\s*(\d+) requests in/m);
const sock = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
const non2xx = text.match(/Non-2xx or 3xx responses: (\d+)/);
const out = {
  ...extra,
  rps: rps ? Number(rps[1]) : null,
  requests: total ? Number(total[1]) : null,
  p50Ms: percentile(50),
  p75Ms: percentile(75),
  p90Ms: percentile(90),
  p99Ms: percentile(99),
  socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  non2xx: non2xx ? Number(non2xx[1]) : 0,
};
if (out.rps === null || out.p99Ms === null) {
  console.error(`parse-wrk: could not read wrk output in ${process.argv[2]}:\n${text}`);
  process.exit(1);
}
process.stdout.write(JSON.stringify(out) + '\n');
