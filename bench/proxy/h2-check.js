#!/usr/bin/env node
// Sends GET requests over one h2c session (HTTP/2 with prior knowledge) and checks that each answers 200 with the
// benchmark's body; `backends` counts the x-backend header the backends set, so it shows whether a proxy spreads the
// streams of one connection over the backends.
// Usage: node h2-check.js <url> [requests=30] [timeoutMs=3000]
// Prints one JSON object; exit 0 when every request answered 200 with the expected body, 1 otherwise.
'use strict';
const http2 = require('node:http2');

const url = new URL(process.argv[2]);
const requests = Number(process.argv[3] ?? 30);
const timeoutMs = Number(process.argv[4] ?? 3000);
const BODY = 'hello, world\n';
const statuses = {};
const backends = {};
let wrongBody = 0;
let firstError = null;
let pending = requests;

const session = http2.connect(url.origin);
const finish = () => {
  session.close();
  const ok = statuses['200'] === requests && wrongBody === 0;
  console.log(JSON.stringify({ kind: 'h2-check', target: url.host, requests, ok, statuses, wrongBody, firstError, backends }));
  process.exit(ok ? 0 : 1);
};
const timer = setTimeout(() => {
  firstError ??= `no answer within ${timeoutMs} ms`;
  finish();
}, timeoutMs);
session.on('error', (e) => {
  firstError ??= `session error: ${e.code ?? ''} ${e.message}`;
});
session.on('goaway', (code) => {
  firstError ??= `GOAWAY with error code ${code}`;
});
const done = (key) => {
  statuses[key] = (statuses[key] ?? 0) + 1;
  if (--pending === 0) {
    clearTimeout(timer);
    finish();
  }
};
for (let i = 0; i < requests; i++) {
  const req = session.request({ ':method': 'GET', ':path': url.pathname + url.search });
  let status = 'none';
  let body = '';
  req.setEncoding('utf8');
  req.on('response', (h) => {
    status = String(h[':status']);
    const b = String(h['x-backend'] ?? 'unknown');
    backends[b] = (backends[b] ?? 0) + 1;
  });
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (status === '200' && body !== BODY) wrongBody++;
    done(status);
  });
  req.on('error', (e) => {
    firstError ??= `stream error: ${e.code ?? ''} ${e.message}`;
    done('error');
  });
  req.end();
}
