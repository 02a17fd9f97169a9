/**
 * Per-connection timeouts as deadlines, checked by one sweep for the whole process.
 *
 * Every connection, client or upstream, has one `deadline` (ms on the monotonic clock, Infinity for none) and sets it
 * when it changes state or makes progress: a field write, not a timer. A single unref'd interval compares deadlines
 * with the clock and calls `onDeadline()` on the ones past due. This is Node's own http server technique
 * (connectionsCheckingInterval), applied to every state: per-socket timers cost a timer-list insert and removal on each
 * state change, several times per request, which showed in the profile of the throughput bench.
 *
 * `now` is the clock as of the last sweep, so a deadline set from it may fire up to one interval early or late: the
 * interval is a tenth of the shortest timeout, between 10 and 100 ms.
 */
export interface Expiring {
  deadline: number;
  onDeadline(): void;
}

export class Deadlines {
  public now = performance.now();
  private readonly items = new Set<Expiring>();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;

  public constructor(shortestTimeoutMs: number) {
    this.intervalMs = Math.max(10, Math.min(100, Math.floor(shortestTimeoutMs / 10)));
  }

  public add(x: Expiring): void {
    this.items.add(x);
    if (this.timer === undefined) {
      this.now = performance.now();
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
    return this.now + ms;
  }

  private readonly sweep = (): void => {
    const now = (this.now = performance.now());
    for (const x of this.items) if (x.deadline <= now) x.onDeadline();
  };
}
