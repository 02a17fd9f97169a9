#!/usr/bin/env node
// A small, fast HTTP/1.1 backend for the proxy benchmark.
// Usage: node backend.js --host 127.0.0.11 --port 28080 [--delay-ms 0] [--name b1]
// Answers every request with a fixed 13-byte body, keeps connections alive without a request cap, and drains any
// request body before answering. With --delay-ms > 0 the answer is delayed by a timer (the "slow backend" mode).
// GET /__count answers {"requests": n}, the requests served so far (itself not counted), so the harness can tell
// what share of the load each backend got.
'use strict';
const http = require('node:http');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}

const host = arg('host', '127.0.0.11');
const port = Number(arg('port', '28080'));
const delayMs = Number(arg('delay-ms', '0'));
const name = arg('name', host);
const body = Buffer.from('hello, world\n');
const headers = { 'content-type': 'text/plain', 'content-length': String(body.length), 'x-backend': name };

function answer(res) {
  res.writeHead(200, headers);
  res.end(body);
}

let served = 0;

const server = http.createServer((req, res) => {
  if (req.url === '/__count') {
    res.end(JSON.stringify({ requests: served }));
    return;
  }
  served++;
  req.resume();
  req.on('end', () => (delayMs > 0 ? setTimeout(answer, delayMs, res) : answer(res)));
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.maxRequestsPerSocket = 0;
server.listen(port, host, () => {
  console.log(JSON.stringify({ msg: 'backend listening', host, port, delayMs, name }));
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
