/**
 * Retry budget (linkerd's / finagle's): over the last second, retries may not exceed
 * max(minRetriesPerSecond, ratio x requests). A retry storm against a failing backend then adds at most `ratio`
 * extra load instead of multiplying it by the attempt count.
 *
 * The second is ten 100 ms buckets in a ring; old buckets are zeroed lazily when time moves past them.
 */
export const BUCKETS = 10;
export const BUCKET_MS = 100;

export class RetryBudget {
  private readonly requests = new Float64Array(BUCKETS);
  private readonly retries = new Float64Array(BUCKETS);
  /** Absolute bucket number (ms / BUCKET_MS) of the newest bucket. */
  private head = -1;

  public constructor(
    private readonly ratio: number,
    private readonly minPerSecond: number,
    private readonly now: () => number,
  ) {}

  public recordRequest(): void {
    this.requests[this.advance()]++;
  }

  /** Takes one retry from the budget; false when the budget is spent. */
  public tryRetry(): boolean {
    const i = this.advance();
    let rq = 0;
    let rt = 0;
    for (let b = 0; b < BUCKETS; b++) {
      rq += this.requests[b];
      rt += this.retries[b];
    }
    if (rt + 1 > Math.max(this.minPerSecond, this.ratio * rq)) return false;
    this.retries[i]++;
    return true;
  }

  private advance(): number {
    const abs = Math.floor(this.now() / BUCKET_MS);
    if (abs !== this.head) {
      const steps = this.head < 0 ? BUCKETS : Math.min(BUCKETS, abs - this.head);
      for (let s = 1; s <= steps; s++) {
        const j = (this.head + s + BUCKETS * 2) % BUCKETS;
        this.requests[j] = 0;
        this.retries[j] = 0;
      }
      this.head = abs;
    }
    return abs % BUCKETS;
  }
}
