#!/usr/bin/env node
// The baseline "plain Node L4 proxy": net.createServer + net.connect, piped both ways with half-close, round robin.
// No timeouts, retries, health, metrics or limits: the least a Node TCP proxy can do, the floor tcp.sh compares with.
// Usage: node plain-tcp-proxy.js --host 127.0.0.10 --port 29083 --backends 127.0.0.11:29080,127.0.0.12:29080
'use strict';
const net = require('node:net');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}

const host = arg('host', '127.0.0.10');
const port = Number(arg('port', '29083'));
const backends = arg('backends', '127.0.0.11:29080')
  .split(',')
  .map((s) => {
    const [h, p] = s.split(':');
    return { host: h, port: Number(p) };
  });
let next = 0;

const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
  const b = backends[next];
  next = (next + 1) % backends.length;
  const up = net.connect({ host: b.host, port: b.port, allowHalfOpen: true, noDelay: true });
  client.on('error', () => up.destroy());
  up.on('error', () => client.destroy());
  client.pipe(up);
  up.pipe(client);
});
server.listen(port, host, () => process.stdout.write(`plain tcp proxy on ${host}:${port}\n`));
process.on('SIGTERM', () => process.exit(0));
