/**
 * What the lifecycle needs of a listener, whatever it speaks: the HTTP connection room ({@link Listener} in
 * connection.ts) and the TCP (L4) one ({@link TcpListener}) both offer it, so start-up and the SIGTERM drain are one
 * code path for every protocol.
 */
import type * as net from 'node:net';

export interface ProxyListener {
  /** Binds and resolves with the port (the given one, or the one the system chose for 0). */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting; resolves once the listening socket is closed (open connections are not waited for). */
  stopAccepting(): Promise<void>;
  /** Closes the connections that carry nothing now (HTTP keep-alive between requests; none in TCP mode). */
  closeIdle(): void;
  /** Closes every connection still open (the end of a drain). */
  closeAll(): void;
  /** Client connections open now. */
  readonly connections: number;
}

/** `server.listen` as a promise that rejects on a bind error (EADDRINUSE) instead of emitting it. */
export function listenServer(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}
