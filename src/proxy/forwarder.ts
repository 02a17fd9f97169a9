/**
 * Upstream connections: one undici Pool of keep-alive HTTP/1.1 connections per endpoint.
 *
 * Measured on this project's 2-core machine (1 KiB responses, 50 client connections, wrk): a Node http server
 * forwarding through undici's Pool.dispatch did ~19.3k req/s; the same server forwarding through http.request with a
 * keep-alive http.Agent did ~10.3k req/s. So the proxy uses undici's low-level dispatch API (no promise, no body
 * wrapper per request) and streams bodies itself.
 *
 * Only undici's Pool is loaded (a deep require): the package index also pulls in fetch, WebSocket, caches and mocks,
 * which tripled the bundle (about 520 KiB of it) and added ~90 ms to start-up.
 */
import type { Dispatcher, Pool as PoolType } from 'undici';
import type { TimeoutsConfig } from '../config';
import type { UpstreamEndpoint } from './discovery/endpoint-set';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Pool: typeof PoolType = require('undici/lib/dispatcher/pool.js');
type Pool = PoolType;

export interface ForwarderOptions {
  readonly timeouts: TimeoutsConfig;
  /** Most connections per endpoint (the per-endpoint in-flight limit: HTTP/1.1 has one request per connection). */
  readonly connectionsPerEndpoint: number;
}

export class Forwarder {
  private readonly pools = new Map<UpstreamEndpoint, Pool>();

  public constructor(private readonly o: ForwarderOptions) {}

  public pool(ep: UpstreamEndpoint): Pool {
    let p = this.pools.get(ep);
    if (p === undefined) {
      const t = this.o.timeouts;
      p = new Pool(ep.origin, {
        connections: this.o.connectionsPerEndpoint,
        pipelining: 1,
        connectTimeout: t.connectMs,
        headersTimeout: t.requestMs,
        // Inactivity between two body chunks: a slow stream is fine, a stalled one is cut after idleMs.
        bodyTimeout: t.idleMs,
        keepAliveTimeout: t.idleMs,
        keepAliveMaxTimeout: t.idleMs,
        maxHeaderSize: 65_536,
      });
      this.pools.set(ep, p);
    }
    return p;
  }

  public dispatch(ep: UpstreamEndpoint, opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): void {
    this.pool(ep).dispatch(opts, handler);
  }

  /** The endpoint left the set: let its in-flight requests finish, then close its connections. */
  public retire(ep: UpstreamEndpoint): void {
    const p = this.pools.get(ep);
    if (!p) return;
    this.pools.delete(ep);
    p.close().catch(() => undefined);
  }

  /** Closes idle connections now and the rest when their requests end; destroys everything after `graceMs`. */
  public async close(graceMs: number): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    const timer = setTimeout(() => pools.forEach((p) => void p.destroy().catch(() => undefined)), graceMs);
    timer.unref();
    await Promise.allSettled(pools.map((p) => p.close()));
    clearTimeout(timer);
  }
}
