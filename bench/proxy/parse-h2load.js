#!/usr/bin/env node
// Turns h2load's text output and its --log-file (one line per request: start time in us since the epoch, HTTP status,
// request time in us) into one JSON object on stdout. h2load itself prints only
// min/max/mean/sd of the request times; the percentiles come from the log.
// Usage: node parse-h2load.js <h2load-output-file> <h2load-log-file> <expected body bytes per response> '<extra json>'
'use strict';
const fs = require('node:fs');

const [outFile, logFile, bodyBytesArg, extraArg] = process.argv.slice(2);
const text = fs.readFileSync(outFile, 'utf8');
const extra = extraArg ? JSON.parse(extraArg) : {};
const num = (re) => {
  const m = text.match(re);
  return m ? Number(m[1]) : null;
};
const toMs = (v, unit) => Number(v) * { us: 1e-3, ms: 1, s: 1000 }[unit];

const out = {
  rps: num(/^finished in [\d.]+s, ([\d.]+) req\/s/m),
  requests: num(/^requests: (\d+) total/m),
  done: num(/ (\d+) done,/),
  succeeded: num(/ (\d+) succeeded,/),
  failed: num(/ (\d+) failed,/),
  errored: num(/ (\d+) errored,/),
  timeout: num(/ (\d+) timeout/),
  s2xx: num(/^status codes: (\d+) 2xx/m),
  s3xx: num(/ (\d+) 3xx/),
  s4xx: num(/ (\d+) 4xx/),
  s5xx: num(/ (\d+) 5xx/),
  dataBytes: num(/\((\d+)\) data/),
  headerBytes: num(/\((\d+)\) headers/),
};
const mean = text.match(/^time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/m);
out.meanMs = mean ? toMs(mean[5], mean[6]) : null;
out.maxMs = mean ? toMs(mean[3], mean[4]) : null;

// Percentiles of the request times in the log. A line with status 0 is a stream that ended without a response head
// (reset, refused, cut by a GOAWAY); such lines are counted, and kept out of the percentiles.
let times = [];
let noStatus = 0;
try {
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line) continue;
    const [, status, us] = line.split('\t');
    if (status === '0') noStatus++;
    else times.push(Number(us) / 1000);
  }
} catch {
  times = [];
}
times.sort((a, b) => a - b);
const pct = (p) => (times.length ? times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] : null);
Object.assign(out, { logged: times.length + noStatus, noStatus, p50Ms: pct(50), p90Ms: pct(90), p99Ms: pct(99), p999Ms: pct(99.9) });

// Every backend answer has a fixed body (HTTP/2 row: the text; gRPC row: one framed reply message). DATA bytes per
// successful response below the expected size means some 2xx carried no body: for gRPC, a Trailers-Only error
// (HTTP 200 with a non-zero grpc-status and no message), which h2load counts as a success.
const bodyBytes = Number(bodyBytesArg);
out.bodyRatio = bodyBytes > 0 && out.s2xx ? out.dataBytes / (bodyBytes * out.s2xx) : null;
out.errors = (out.failed ?? 0) + (out.errored ?? 0) + (out.timeout ?? 0);
out.parsed = out.rps !== null && out.requests !== null;
console.log(JSON.stringify({ ...extra, ...out }));
