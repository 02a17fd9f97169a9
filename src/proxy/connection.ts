/**
 * The connection room: accept client sockets, tell the protocol from the first bytes, hand each connection to its
 * codec, and keep the set of open connections for the drain. It knows nothing of balancing.
 *
 * Protocols: HTTP/1.1 (and 1.0), and HTTP/2 on the same port: a connection that opens with the HTTP/2 preface
 * (h2c with prior knowledge) goes to the HTTP/2 codec (http2/front.ts), as does one that chose `h2` by ALPN.
 */
import * as net from 'node:net';
import { Http1Downstream } from './http1/server';
import { Http2Front } from './http2/front';
import type { ProxyListener } from './listening';
import type { Router } from './router';
import { terminateTls, TlsTermination } from './tls/listener';

export class Listener implements ProxyListener {
  public readonly server: net.Server;
  private readonly open = new Set<Http1Downstream>();
  private readonly hooks: { closed(c: Http1Downstream): void; http2(socket: net.Socket, first: Buffer): void };
  private readonly h2: Http2Front;
  private readonly maxAgeMs: number | undefined;
  private readonly jitter: number;
  /** With listener.tls: the certificate and its reloads (see tls/). */
  private readonly tls: TlsTermination | undefined;

  public constructor(private readonly r: Router) {
    this.hooks = {
      closed: (c: Http1Downstream) => this.open.delete(c),
      http2: (socket: net.Socket, first: Buffer) => this.acceptHttp2(socket, first),
    };
    const l = r.config.listener;
    this.h2 = new Http2Front(r, () => this.connectionAge());
    this.maxAgeMs = 'maxConnectionAgeMs' in l ? l.maxConnectionAgeMs : undefined;
    this.jitter = 'maxConnectionAgeJitterPercent' in l ? l.maxConnectionAgeJitterPercent / 100 : 0;
    const tls = 'tls' in l ? l.tls : undefined;
    // With TLS, each connection arrives here after its handshake, by ALPN: h2 to acceptHttp2, the rest to accept.
    this.tls = tls && terminateTls(tls, { log: r.log, metrics: r.metrics, handshakeTimeoutMs: r.config.timeouts.headersMs }, {
      http1: (socket) => this.accept(socket),
      http2: (socket) => this.acceptHttp2(socket),
    });
    this.server = this.tls?.server ?? net.createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  /** A client connection whose protocol the first bytes tell: HTTP/1.x, or the HTTP/2 preface (then acceptHttp2). */
  public accept(socket: net.Socket): void {
    const c = new Http1Downstream(socket, this.r, this.hooks);
    const age = this.connectionAge();
    if (age !== undefined) c.expiresAt = this.r.now() + age;
    this.open.add(c);
  }

  /** listener.maxConnectionAgeMs, shortened by a random share up to the jitter, for one new connection. */
  private connectionAge(): number | undefined {
    return this.maxAgeMs === undefined ? undefined : this.maxAgeMs * (1 - this.jitter * Math.random());
  }

  /** A client connection that speaks HTTP/2: by its preface (h2c), or by ALPN `h2` after a TLS handshake. */
  public acceptHttp2(socket: net.Socket, first?: Buffer): void {
    this.h2.accept(socket, first);
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
    this.h2.closeIdle();
  }

  public closeAll(): void {
    for (const c of this.open) c.close();
    this.h2.closeAll();
    for (const t of this.r.tunnels) t.destroy();
    this.tls?.destroyAll();
  }

  public get connections(): number {
    return this.open.size + this.h2.connections;
  }
}
