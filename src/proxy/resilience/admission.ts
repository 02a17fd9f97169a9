/**
 * Admission: the global in-flight limit and the bounded wait queue in front of it.
 *
 * A request that cannot start now (global limit reached, or every eligible endpoint at its own limit) waits in a
 * FIFO queue of at most maxQueue entries for at most queueTimeoutMs; a full queue or an expired wait ends in 503.
 * Each finished request wakes the head of the queue, which tries again and goes back to the head if it still cannot.
 */
export interface Waiter {
  /** Try to start; return false to stay queued (at the head). */
  tryStart(): boolean;
  /** Queue full or the wait expired. */
  reject(reason: 'queue-full' | 'queue-timeout'): void;
  /** Set by the queue while waiting. */
  queueTimer?: NodeJS.Timeout;
}

export class Admission {
  public inFlight = 0;
  private readonly queue: Waiter[] = [];
  private head = 0;

  public constructor(
    private readonly maxInFlight: number,
    private readonly maxQueue: number,
    private readonly queueTimeoutMs: number,
  ) {}

  public get queued(): number {
    return this.queue.length - this.head;
  }

  public hasRoom(): boolean {
    return this.inFlight < this.maxInFlight && this.queued === 0;
  }

  public acquire(): void {
    this.inFlight++;
  }

  /** Queues a waiter that could not start. */
  public wait(w: Waiter): void {
    if (this.queued >= this.maxQueue) {
      w.reject('queue-full');
      return;
    }
    this.queue.push(w);
    w.queueTimer = setTimeout(() => this.expire(w), this.queueTimeoutMs);
  }

  public release(): void {
    this.inFlight--;
    this.wake();
  }

  /** Lets queued requests start while they can (also after an endpoint frees a slot). */
  public wake(): void {
    while (this.head < this.queue.length && this.inFlight < this.maxInFlight) {
      const w = this.queue[this.head];
      if (!w.tryStart()) return;
      this.shift(w);
    }
  }

  private shift(w: Waiter): void {
    if (w.queueTimer) clearTimeout(w.queueTimer);
    w.queueTimer = undefined;
    this.head++;
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private expire(w: Waiter): void {
    const i = this.queue.indexOf(w, this.head);
    if (i < 0) return;
    this.queue.splice(i, 1);
    w.queueTimer = undefined;
    w.reject('queue-timeout');
  }

  /** A queued waiter that gave up (its client left): its place is free at once. */
  public remove(w: Waiter): void {
    const i = this.queue.indexOf(w, this.head);
    if (i < 0) return;
    this.queue.splice(i, 1);
    if (w.queueTimer) clearTimeout(w.queueTimer);
    w.queueTimer = undefined;
  }

  /** Rejects everything queued (shutdown). */
  public clear(): void {
    while (this.head < this.queue.length) {
      const w = this.queue[this.head];
      this.shift(w);
      w.reject('queue-timeout');
    }
  }
}
