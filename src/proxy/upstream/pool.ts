/**
 * Upstream pools: per endpoint, HTTP/1.1 keep-alive connections, one request at a time on each.
 *
 * - Connections to one endpoint never outnumber its in-flight requests at their peak, so the per-endpoint in-flight
 *   limit (limits.maxInFlightPerEndpoint, enforced when an endpoint is picked) caps them: a new connection opens only
 *   when no idle one is left.
 * - At most `maxIdle` connections wait in the pool; a connection idle longer than idleMs closes (its own timer).
 * - Idle connections are reused last-in first-out: the most recently used one is the least likely to have been
 *   closed by the endpoint's own keep-alive timeout.
 *
 * The stale keep-alive race (the endpoint closes an idle connection just as a request is written to it) surfaces as
 * a `replayable` failure of the connection; the try then goes again once on a fresh connection (see exchange.ts).
 */
import type { Deadlines } from '../deadlines';
import type { UpstreamEndpoint } from '../discovery/endpoint-set';
import type { ConnectionOwner, ConnectionTimeouts, UpstreamPool } from './connection-owner';
import { H1Connection } from './h1-connection';

export interface PoolOptions {
  readonly timeouts: ConnectionTimeouts;
  readonly maxIdle: number;
  readonly clock: Deadlines;
}

class EndpointPool {
  public readonly idle: H1Connection[] = [];
  public open = 0;
  public retired = false;
}

export class UpstreamPools implements UpstreamPool {
  private readonly pools = new Map<UpstreamEndpoint, EndpointPool>();

  public constructor(private readonly o: PoolOptions) {}

  /**
   * Gives `owner` a connection to `ep`: an idle one (reported at once, synchronously), or a new one once it is
   * connected. `fresh` skips the idle ones (the replay after a stale connection).
   */
  public acquire(ep: UpstreamEndpoint, owner: ConnectionOwner, fresh = false): void {
    let p = this.pools.get(ep);
    if (p === undefined) this.pools.set(ep, (p = new EndpointPool()));
    if (!fresh) {
      const conn = p.idle.pop();
      if (conn !== undefined) {
        conn.assign(owner);
        return;
      }
    }
    p.open++;
    const pool = p;
    new H1Connection(ep.address, ep.port, this.o.timeouts, this.o.clock, (c, reusable) => this.release(pool, c, reusable), owner);
  }

  private release(p: EndpointPool, c: H1Connection, reusable: boolean): void {
    if (reusable && !p.retired && p.idle.length < this.o.maxIdle) {
      p.idle.push(c);
      return;
    }
    const i = p.idle.indexOf(c);
    if (i >= 0) p.idle.splice(i, 1);
    if (reusable) {
      c.close(); // calls release again with reusable=false
      return;
    }
    p.open--;
  }

  /** Connections open to `ep` (for tests and the admin dump). */
  public openTo(ep: UpstreamEndpoint): number {
    return this.pools.get(ep)?.open ?? 0;
  }

  /** The endpoint left the set: close its idle connections now; busy ones close when their request ends. */
  public retire(ep: UpstreamEndpoint): void {
    const p = this.pools.get(ep);
    if (!p) return;
    this.pools.delete(ep);
    p.retired = true;
    for (const c of p.idle.splice(0)) c.close();
  }

  /** Closes every idle connection (shutdown); busy ones close when their request ends or the owner closes them. */
  public closeIdle(): void {
    for (const p of this.pools.values()) for (const c of p.idle.splice(0)) c.close();
  }
}
