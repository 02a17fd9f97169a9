/**
 * The downstream listener: Node's HTTP/1.1 server with keep-alive, the header size limit and the client timeouts
 * from the config. It frames requests and hands them to the router; upgrades go to the tunnel.
 */
import * as http from 'node:http';
import type { ProxyConfig } from '../config';
import type { Router } from './router';
import { handleUpgrade } from './upgrade';

export function createListener(config: ProxyConfig, router: Router): http.Server {
  const t = config.timeouts;
  const server = http.createServer(
    {
      maxHeaderSize: config.limits.maxRequestHeaderBytes,
      keepAlive: true,
      noDelay: true,
      // A client gets headersMs for its headers and requestMs (at least) for the whole request, body included.
      headersTimeout: t.headersMs,
      requestTimeout: Math.max(t.requestMs, t.headersMs),
      keepAliveTimeout: t.clientIdleMs,
    },
    router.handle,
  );
  server.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => handleUpgrade(router, req, socket, head));
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  return server;
}

export function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}
