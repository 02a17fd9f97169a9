#!/usr/bin/env node
// Polls an h2c (HTTP/2 over cleartext, prior knowledge) URL until a GET answers 200, or fails after a timeout.
// Usage: node wait-h2.js <url> [timeoutMs]
// Exit 0: ready. Exit 1: no 200 in time; the last error (refused, GOAWAY, bad status...) is printed on stderr, so a
// caller can say why a target does not speak h2c.
'use strict';
const http2 = require('node:http2');

const url = new URL(process.argv[2]);
const timeoutMs = Number(process.argv[3] ?? 10_000);
const deadline = Date.now() + timeoutMs;
let lastError = 'no attempt';

function attempt() {
  let done = false;
  const finish = (ok, why) => {
    if (done) return;
    done = true;
    session.destroy();
    if (ok) process.exit(0);
    lastError = why;
    retry();
  };
  const session = http2.connect(url.origin);
  session.on('error', (e) => finish(false, `session error: ${e.code ?? ''} ${e.message}`));
  session.on('goaway', (code) => finish(false, `GOAWAY with error code ${code} (${goawayName(code)})`));
  session.setTimeout(1000, () => finish(false, 'no answer within 1 s'));
  const req = session.request({ ':method': 'GET', ':path': url.pathname + url.search });
  req.on('response', (h) => {
    const status = h[':status'];
    req.resume();
    req.on('end', () => finish(status === 200, `status ${status}`));
  });
  req.on('error', (e) => finish(false, `stream error: ${e.code ?? ''} ${e.message}`));
  req.end();
}
function goawayName(code) {
  return { 0: 'NO_ERROR', 1: 'PROTOCOL_ERROR', 2: 'INTERNAL_ERROR', 11: 'ENHANCE_YOUR_CALM', 13: 'HTTP_1_1_REQUIRED' }[code] ?? '?';
}
function retry() {
  if (Date.now() > deadline) {
    console.error(`wait-h2: ${url.href} did not answer 200 over h2c within ${timeoutMs} ms; last: ${lastError}`);
    process.exit(1);
  }
  setTimeout(attempt, 50);
}
attempt();
