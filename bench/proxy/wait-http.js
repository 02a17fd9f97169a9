#!/usr/bin/env node
// Polls a URL until it answers 200, or fails after a timeout. Usage: node wait-http.js <url> [timeoutMs]
'use strict';
const http = require('node:http');

const url = process.argv[2];
const timeoutMs = Number(process.argv[3] ?? 10_000);
const deadline = Date.now() + timeoutMs;

function attempt() {
  const req = http.get(url, { agent: false }, (res) => {
    res.resume();
    if (res.statusCode === 200) process.exit(0);
    retry();
  });
  req.setTimeout(1000, () => req.destroy());
  req.on('error', retry);
}
function retry() {
  if (Date.now() > deadline) {
    console.error(`wait-http: ${url} did not answer 200 within ${timeoutMs} ms`);
    process.exit(1);
  }
  setTimeout(attempt, 20);
}
attempt();
