#!/usr/bin/env node
// The baseline "plain Node proxy": http.createServer + http.request over one keep-alive Agent, piped both ways,
// round robin over the backends. No health checks, retries, metrics or limits: the least a Node proxy can do.
// Usage: node plain-proxy.js --host 127.0.0.10 --port 28083 --backends 127.0.0.11:28080,127.0.0.12:28080
'use strict';
const http = require('node:http');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}

const host = arg('host', '127.0.0.10');
const port = Number(arg('port', '28083'));
const backends = arg('backends', '127.0.0.11:28080')
  .split(',')
  .map((s) => {
    const [h, p] = s.split(':');
    return { host: h, port: Number(p) };
  });
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, keepAliveMsecs: 60_000 });
let next = 0;

const server = http.createServer((req, res) => {
  const b = backends[next];
  next = (next + 1) % backends.length;
  const up = http.request(
    { host: b.host, port: b.port, method: req.method, path: req.url, headers: req.headers, agent },
    (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
    },
  );
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-length': '0' });
    res.end();
  });
  req.pipe(up);
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.listen(port, host, () => {
  console.log(JSON.stringify({ msg: 'plain proxy listening', host, port, backends }));
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
