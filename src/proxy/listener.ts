/**
 * The downstream listener: Node's HTTP/1.1 server with keep-alive, the header size limit and the client timeouts
 * from the config. It frames requests and hands them to the router; upgrades go to the tunnel.
 *
 * Malformed requests are left to Node's default clientError handling: it answers 400/408/431 only on a connection
 * that has not written anything yet and otherwise just closes, so an error never lands inside a streaming response.
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
      // Node enforces headersTimeout and requestTimeout only on this sweep (30 s by default), which would let a
      // slowloris client hold a connection for 30 s whatever the config says.
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(Math.min(t.headersMs, t.requestMs) / 2))),
    },
    router.handle,
  );
  server.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => handleUpgrade(router, req, socket, head));
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
