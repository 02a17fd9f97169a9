/**
 * A request body on its way to an endpoint: the bytes that wait for a connection, and what may be sent again.
 *
 * Two kinds of replay exist. HTTP/1.1's stale keep-alive race: on a reused connection the whole body stays in the
 * queue (`held`) until the answer starts, so the same request can go again on a fresh connection. HTTP/2's refused
 * stream and gRPC's UNAVAILABLE: a copy of what was sent (`kept`, up to limits.retryBufferBytes) lets a retry on
 * another endpoint send the body from its first byte. A body larger than the buffer is not kept, and its request is
 * then not retried once a byte of it left.
 */
import type { UpstreamConnection } from './upstream/connection-owner';

/** Queued bytes above which the client is paused until a connection takes them. */
const QUEUE_HIGH_WATER = 64 * 1024;

export class RequestBody {
  private queue: Buffer[] = [];
  private queued = 0;
  /** The whole body is still held in the queue for a stale-connection replay. */
  public held = false;
  private kept: Buffer[] | undefined;
  private keptBytes = 0;
  /** Some bytes went to an endpoint. */
  private sent = false;

  public constructor(
    keep: boolean,
    private readonly keepLimit: number,
  ) {
    if (keep) this.kept = [];
  }

  /** Nothing waits in the queue. */
  public get drained(): boolean {
    return this.queue.length === 0;
  }

  /** Queues bytes that have no connection yet; true when the client should pause. */
  public enqueue(b: Buffer): boolean {
    this.queue.push(b);
    this.queued += b.length;
    return this.queued > QUEUE_HIGH_WATER;
  }

  /** Writes bytes straight to the connection (the queue is empty); false: the endpoint is slow to read. */
  public write(conn: UpstreamConnection, b: Buffer): boolean {
    this.remember(b);
    return conn.writeBody(b);
  }

  /** Writes the queue to a new connection; with `hold`, keeps it for a stale-connection replay. */
  public flush(conn: UpstreamConnection, hold: boolean): boolean {
    this.held = hold;
    let ok = true;
    for (const b of this.queue) {
      this.remember(b);
      ok = conn.writeBody(b) && ok;
    }
    if (!hold) this.clear();
    return ok;
  }

  /** The held copy is no longer needed once an answer or a real failure arrived. */
  public dropHeld(): void {
    if (!this.held) return;
    this.held = false;
    this.clear();
  }

  /** No byte is lost: none was sent, or all that was sent is kept. */
  public get replayable(): boolean {
    return !this.sent || this.kept !== undefined;
  }

  /** Before a retry: the body goes again from its first byte. */
  public rewind(): void {
    const kept = this.kept;
    if (!this.sent || kept === undefined) return;
    this.queue = kept.concat(this.queue);
    this.queued += this.keptBytes;
    this.kept = [];
    this.keptBytes = 0;
    this.sent = false;
  }

  private remember(b: Buffer): void {
    this.sent = true;
    const kept = this.kept;
    if (kept === undefined) return;
    this.keptBytes += b.length;
    if (this.keptBytes > this.keepLimit) this.kept = undefined;
    else kept.push(b);
  }

  private clear(): void {
    this.queue = [];
    this.queued = 0;
  }
}
