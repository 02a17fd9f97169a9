#!/usr/bin/env node
// Prints the request counters of the node backends as a JSON array. Usage: node count.js host:port [host:port...]
'use strict';
const http = require('node:http');

function count(hp) {
  return new Promise((resolve) => {
    const [host, port] = hp.split(':');
    const req = http.get({ host, port: Number(port), path: '/__count', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body).requests);
        } catch {
          resolve(null);
        }
      });
    });
    req.setTimeout(2000, () => req.destroy());
    req.on('error', () => resolve(null));
  });
}
Promise.all(process.argv.slice(2).map(count)).then((c) => process.stdout.write(JSON.stringify(c)));
