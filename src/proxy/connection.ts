/**
 * The connection room: accept client sockets, tell the protocol from the first bytes, hand each connection to its
 * codec, and keep the set of open connections for the drain. It knows nothing of balancing.
 *
 * Protocols: HTTP/1.1 (and 1.0) today. A client that opens with the HTTP/2 connection preface gets an HTTP/2
 * SETTINGS frame and GOAWAY with HTTP_1_1_REQUIRED, which tells it to fall back, instead of a parse error; HTTP/2
 * proper plugs in here as a second codec.
 */
import * as net from 'node:net';
import { Http1Downstream } from './http1/server';
import type { Router } from './router';
import { terminateTls, TlsTermination } from './tls/listener';

/** An empty SETTINGS frame, then GOAWAY(last stream 0, HTTP_1_1_REQUIRED = 0xd). */
const H2_REFUSAL = Buffer.from([
  0, 0, 0, 0x4, 0, 0, 0, 0, 0,
  0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xd,
]);

export class Listener {
  public readonly server: net.Server;
  private readonly open = new Set<Http1Downstream>();
  private readonly hooks: { closed(c: Http1Downstream): void; http2(socket: net.Socket): void };
  /** With listener.tls: the certificate and its reloads (see tls/). */
  private readonly tls: TlsTermination | undefined;

  public constructor(private readonly r: Router) {
    this.hooks = {
      closed: (c: Http1Downstream) => this.open.delete(c),
      http2: (socket: net.Socket) => this.acceptHttp2(socket),
    };
    const tls = 'tls' in r.config.listener ? r.config.listener.tls : undefined;
    // With TLS, each connection arrives here after its handshake, by ALPN: h2 to acceptHttp2, the rest to accept.
    this.tls = tls && terminateTls(tls, { log: r.log, metrics: r.metrics, handshakeTimeoutMs: r.config.timeouts.headersMs }, {
      http1: (socket) => this.accept(socket),
      http2: (socket) => this.acceptHttp2(socket),
    });
    this.server = this.tls?.server ?? net.createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  /** A client connection whose protocol the first bytes tell: HTTP/1.x, or the HTTP/2 preface (then acceptHttp2). */
  public accept(socket: net.Socket): void {
    this.open.add(new Http1Downstream(socket, this.r, this.hooks));
  }

  /** A client connection that speaks HTTP/2: by its preface (h2c), or by ALPN `h2` after a TLS handshake. */
  public acceptHttp2(socket: net.Socket): void {
    this.r.log.debug('refused an HTTP/2 preface: this listener speaks HTTP/1.1', { client: socket.remoteAddress });
    socket.end(H2_REFUSAL);
  }

  public listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  /** Stops accepting; resolves once the listening socket is closed (open connections are not waited for). */
  public stopAccepting(): Promise<void> {
    this.tls?.stop();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Closes the connections that sit between requests. */
  public closeIdle(): void {
    for (const c of this.open) if (c.idle) c.close();
  }

  public closeAll(): void {
    for (const c of this.open) c.close();
    for (const t of this.r.tunnels) t.destroy();
    this.tls?.destroyAll();
  }

  public get connections(): number {
    return this.open.size;
  }
}
