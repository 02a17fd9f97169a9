/**
 * Upgrade pass-through (WebSocket and any other HTTP/1.1 Upgrade): pick an endpoint like any request, send the
 * upgrade request on a fresh connection, and once the endpoint answers 101, relay its head and pipe the two sockets.
 * A non-101 answer is relayed as a normal response and the client connection closed. Upgrades are not retried.
 *
 * The tunnel counts as one in-flight request on its endpoint for as long as it is open. Tunnels are not drained:
 * on shutdown they are closed once the HTTP requests have drained.
 */
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { forwardRequestHeaders, hostProblem, stripResponseHeaders } from './http/headers';
import type { Router } from './router';

function rawHead(status: number, message: string, headers: http.IncomingHttpHeaders | string[]): string {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  } else {
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) head += `${k}: ${one}\r\n`;
    }
  }
  return head + '\r\n';
}

function refuse(socket: Duplex, status: number, text: string): void {
  if (socket.writable) {
    socket.end(
      rawHead(status, http.STATUS_CODES[status] ?? '', {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': String(Buffer.byteLength(text)),
        connection: 'close',
      }) + text,
    );
  }
  socket.destroy();
}

export function handleUpgrade(r: Router, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const bad = (req.url ?? '').charCodeAt(0) !== 47 ? 'send an origin-form target' : hostProblem(req.rawHeaders);
  if (bad !== undefined || req.httpVersionMajor !== 1) {
    refuse(socket, 400, `bad request: ${bad ?? 'upgrades need HTTP/1.1'}\n`);
    return;
  }
  const ep = r.choose(r.hashKey(req), undefined);
  if (typeof ep === 'string') {
    refuse(socket, 503, 'no healthy upstream: no endpoint is available to serve this request\n');
    return;
  }
  ep.inFlight++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    ep.inFlight--;
  };
  const given = req.headers['x-request-id'];
  const headers = forwardRequestHeaders(
    req.rawHeaders,
    {
      remoteAddress: req.socket.remoteAddress,
      proto: 'http',
      requestId: typeof given === 'string' ? given : r.ids.next(),
    },
    true,
  );
  const up = http.request({
    host: ep.address,
    port: ep.port,
    method: req.method,
    path: req.url,
    headers,
    agent: false,
    timeout: r.config.timeouts.requestMs,
  });
  up.on('timeout', () => up.destroy(Object.assign(new Error('upgrade timeout'), { code: 'ETIMEDOUT' })));
  up.on('upgrade', (res, upSocket, upHead) => {
    up.setTimeout(0);
    upSocket.setTimeout(0);
    ep.successes++;
    socket.write(rawHead(res.statusCode ?? 101, res.statusMessage ?? 'Switching Protocols', res.rawHeaders));
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    r.tunnels.add(socket);
    // The server's sockets allow half-open connections, so an 'end' alone would leave the tunnel open forever:
    // pass the end on, then close both once it is flushed.
    const closeBoth = () => {
      release();
      r.tunnels.delete(socket);
      socket.destroy();
      upSocket.destroy();
    };
    upSocket.on('error', closeBoth);
    upSocket.on('close', closeBoth);
    socket.on('close', closeBoth);
    upSocket.on('end', () => socket.end(closeBoth));
    socket.on('end', () => upSocket.end(closeBoth));
    upSocket.pipe(socket, { end: false });
    socket.pipe(upSocket, { end: false });
  });
  up.on('response', (res) => {
    up.setTimeout(0);
    if ((res.statusCode ?? 502) < 500) ep.successes++;
    else ep.failures++;
    const h = stripResponseHeaders({ ...res.headers });
    h.connection = 'close';
    delete h['content-length'];
    socket.write(rawHead(res.statusCode ?? 502, res.statusMessage ?? '', h));
    res.pipe(socket);
    res.on('end', () => {
      release();
      socket.end();
    });
    res.on('error', () => {
      release();
      socket.destroy();
    });
  });
  up.on('error', () => {
    ep.failures++;
    release();
    refuse(socket, 502, 'upstream connect error: the upgrade could not reach an endpoint\n');
  });
  socket.on('close', () => {
    if (!released) up.destroy();
  });
  up.end();
}
