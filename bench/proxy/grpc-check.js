#!/usr/bin/env node
// Makes real gRPC unary calls with @grpc/grpc-js (a dev dependency) and checks that every one ends with status OK and
// the reply the benchmark's backends send. h2load only sees HTTP status codes, and a gRPC error is an HTTP 200 with a
// grpc-status trailer, so this is what says a target really answers gRPC. All calls share one client channel (one
// HTTP/2 connection); `backends` counts the x-backend header the backends set, so it shows whether a proxy spreads the
// calls of one connection over the backends.
// Usage: node grpc-check.js <host:port> [calls=30] [deadlineMs=3000]
// Prints one JSON object; exit 0 when all calls were OK with the expected reply, 1 otherwise.
'use strict';
const path = require('node:path');
const { GRPC_METHOD, REQUEST_MESSAGE, REPLY_MESSAGE } = require('./grpc-frame.js');

let grpc;
try {
  grpc = require(require.resolve('@grpc/grpc-js', { paths: [path.resolve(__dirname, '../..')] }));
} catch {
  console.log(JSON.stringify({ kind: 'grpc-check', ok: false, error: '@grpc/grpc-js is not installed (npm ci)' }));
  process.exit(2);
}

const target = process.argv[2];
const calls = Number(process.argv[3] ?? 30);
const deadlineMs = Number(process.argv[4] ?? 3000);
const identity = (b) => b;
const client = new grpc.Client(target, grpc.credentials.createInsecure());
const codes = {};
const backends = {};
let wrongReply = 0;
let firstError = null;
let pending = calls;
for (let i = 0; i < calls; i++) {
  const call = client.makeUnaryRequest(GRPC_METHOD, identity, identity, REQUEST_MESSAGE, { deadline: Date.now() + deadlineMs }, (err, reply) => {
    const code = err ? err.code : grpc.status.OK;
    const name = Object.keys(grpc.status).find((k) => grpc.status[k] === code) ?? String(code);
    codes[name] = (codes[name] ?? 0) + 1;
    if (err && !firstError) firstError = `${name}: ${err.details}`;
    if (!err && !REPLY_MESSAGE.equals(reply)) wrongReply++;
    if (--pending === 0) {
      client.close();
      const ok = codes.OK === calls && wrongReply === 0;
      console.log(JSON.stringify({ kind: 'grpc-check', target, calls, ok, codes, wrongReply, firstError, backends }));
      process.exit(ok ? 0 : 1);
    }
  });
  call.on('metadata', (md) => {
    const b = String(md.get('x-backend')[0] ?? 'unknown');
    backends[b] = (backends[b] ?? 0) + 1;
  });
}
