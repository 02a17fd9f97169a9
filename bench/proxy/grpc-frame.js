#!/usr/bin/env node
// The gRPC unary call the benchmark sends: helloworld.Greeter/SayHello with HelloRequest { name: "world" }, answered
// by HelloReply { message: "Hello world" }. Both as protobuf bytes, and framed the gRPC way (1 byte compressed flag,
// 4 bytes big-endian length, the message).
// Usage: node grpc-frame.js request|reply <file>   writes the framed message (h2load -d file; the backends' reply file)
'use strict';
const fs = require('node:fs');

const GRPC_METHOD = '/helloworld.Greeter/SayHello';
// Field 1, wire type 2 (length-delimited): tag 0x0a, length, UTF-8 bytes.
const pbString = (s) => Buffer.concat([Buffer.from([0x0a, Buffer.byteLength(s)]), Buffer.from(s)]);
const REQUEST_MESSAGE = pbString('world');
const REPLY_MESSAGE = pbString('Hello world');
function frame(message) {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}
module.exports = { GRPC_METHOD, REQUEST_MESSAGE, REPLY_MESSAGE, frame };

if (require.main === module) {
  const [which, file] = process.argv.slice(2);
  if (!['request', 'reply'].includes(which) || !file) {
    console.error('usage: node grpc-frame.js request|reply <file>');
    process.exit(2);
  }
  fs.writeFileSync(file, frame(which === 'request' ? REQUEST_MESSAGE : REPLY_MESSAGE));
}
