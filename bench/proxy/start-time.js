#!/usr/bin/env node
// Time from spawn to the first 200 on /readyz, for this proxy. Median of N starts.
// Usage: node start-time.js <config.json> <readyz-url> [starts=5] [cpu=0]
// The proxy is spawned under `taskset -c <cpu>`; this poller should itself run on another CPU.
'use strict';
const { spawn } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');

const [configPath, readyzUrl] = process.argv.slice(2, 4);
const starts = Number(process.argv[4] ?? 5);
const cpu = process.argv[5] ?? '0';
const bundle = path.resolve(__dirname, '../../lib/proxy.bundle.js');

function get(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.setTimeout(500, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

let current;
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    current?.kill('SIGKILL');
    process.exit(130);
  });
}

async function once() {
  const t0 = process.hrtime.bigint();
  const child = (current = spawn('taskset', ['-c', cpu, process.execPath, bundle, '--config', configPath], { stdio: 'ignore' }));
  let exited = false;
  child.on('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error('proxy exited before /readyz answered 200');
      if ((await get(readyzUrl)) === 200) return Number(process.hrtime.bigint() - t0) / 1e6;
      if (Number(process.hrtime.bigint() - t0) > 15e9) throw new Error('proxy not ready within 15 s');
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (exited ? r() : child.once('exit', r)));
  }
}

(async () => {
  const samples = [];
  for (let i = 0; i < starts; i++) samples.push(await once());
  const sorted = [...samples].sort((a, b) => a - b);
  const medianMs = sorted[Math.floor(sorted.length / 2)];
  process.stdout.write(JSON.stringify({ kind: 'startup', samplesMs: samples.map((s) => +s.toFixed(1)), medianMs: +medianMs.toFixed(1) }) + '\n');
})().catch((e) => {
  console.error(`start-time: ${e.message}`);
  process.exit(1);
});
