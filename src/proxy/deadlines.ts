/**
 * Per-connection timeouts as deadlines, checked by one sweep for the whole process.
 *
 * Every connection, client or upstream, has one `deadline` (ms on the monotonic clock, Infinity for none) and sets it
 * when it changes state or makes progress: a field write, not a timer. A single unref'd interval compares deadlines
 * with the clock and calls `onDeadline()` on the ones past due. This is Node's own http server technique
 * (connectionsCheckingInterval), applied to every state: per-socket timers cost a timer-list insert and removal on each
 * state change, several times per request, which showed in the profile of the throughput bench.
 *
 * A deadline is set from the clock read then, and the sweep runs every tenth of the shortest timeout (10 to 100 ms),
 * so a timeout fires at its time or up to one interval later, never early.
 */
export interface Expiring {
  deadline: number;
  onDeadline(): void;
}

export class Deadlines {
  private readonly items = new Set<Expiring>();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;

  public constructor(shortestTimeoutMs: number) {
    this.intervalMs = Math.max(10, Math.min(100, Math.floor(shortestTimeoutMs / 10)));
  }

  public add(x: Expiring): void {
    this.items.add(x);
    if (this.timer === undefined) {
      this.timer = setInterval(this.sweep, this.intervalMs);
      this.timer.unref();
    }
  }

  public delete(x: Expiring): void {
    this.items.delete(x);
    if (this.items.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** A deadline `ms` from now. */
  public in(ms: number): number {
    return performance.now() + ms;
  }

  private readonly sweep = (): void => {
    const now = performance.now();
    for (const x of this.items) if (x.deadline <= now) x.onDeadline();
  };
}
