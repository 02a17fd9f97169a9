/**
 * The TCP (L4) listener: accept client sockets and hand each to a {@link TcpRelay}, which balances the whole
 * connection to one endpoint. It keeps the set of open relays for the drain, and offers the lifecycle the same small
 * surface as the HTTP listener ({@link ProxyListener}), so SIGTERM works the same: not ready, keep accepting for
 * shutdownDelayMs, stop accepting, let open connections finish within drainMs, then close the rest.
 *
 * Sockets are accepted paused (pauseOnConnect): nothing is read from a client until its endpoint connected, so the
 * kernel's buffers hold what it sends early and backpressure holds from the first byte. Both sides are allowHalfOpen,
 * so a FIN on one side reaches the other without closing the reverse direction.
 */
import * as net from 'node:net';
import { listenServer, ProxyListener } from '../listening';
import type { Router } from '../router';
import { RelayHooks, TcpRelay } from './relay';

export class TcpListener implements ProxyListener {
  public readonly server: net.Server;
  private readonly open = new Set<TcpRelay>();
  private readonly hooks: RelayHooks;

  public constructor(private readonly r: Router) {
    this.hooks = { closed: (relay) => this.open.delete(relay) };
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) => this.accept(socket));
  }

  public accept(socket: net.Socket): void {
    const relay = new TcpRelay(this.r, socket, this.hooks);
    // Added before start(): a connection refused at once (no endpoint) is removed again by its closed hook.
    this.open.add(relay);
    relay.start();
  }

  public listen(port: number, host: string): Promise<number> {
    return listenServer(this.server, port, host);
  }

  public stopAccepting(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Nothing to do: a TCP connection has no boundary between requests to close it at; idle ones end by timeouts.idleMs. */
  public closeIdle(): void {
    // Deliberately empty.
  }

  public closeAll(): void {
    for (const relay of [...this.open]) relay.close();
  }

  public get connections(): number {
    return this.open.size;
  }
}
