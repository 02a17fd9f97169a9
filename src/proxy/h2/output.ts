/**
 * What an HTTP/2 session writes, queued until the end of the tick: every frame made while handling one read (or one
 * endpoint's answer) leaves in one socket write. A frame queued in the current generation (`gen`) is not sent yet,
 * so its header may still change (the stream sets END_STREAM on its last DATA frame that way).
 */
import type * as net from 'node:net';

/** Queued bytes at which the session's streams are told to wait (their writeData returns false). */
const HIGH_WATER = 256 * 1024;
/** Above this a single concat would copy too much: the buffers go out as one corked writev instead. */
const CONCAT_MAX = 64 * 1024;

export class FrameQueue {
  private out: Buffer[] = [];
  private bytes = 0;
  private queued = false;
  /** Counts flushes. */
  public gen = 0;

  public constructor(private readonly socket: net.Socket) {}

  public push(b: Buffer): void {
    this.out.push(b);
    this.bytes += b.length;
    if (!this.queued) {
      this.queued = true;
      process.nextTick(flushQueue, this);
    }
  }

  public flush(): void {
    this.queued = false;
    this.gen++;
    const out = this.out;
    const n = this.bytes;
    this.out = [];
    this.bytes = 0;
    const socket = this.socket;
    if (out.length === 0 || socket.destroyed) return;
    if (out.length === 1) socket.write(out[0]);
    else if (n <= CONCAT_MAX) socket.write(Buffer.concat(out, n));
    else {
      socket.cork();
      for (const b of out) socket.write(b);
      socket.uncork();
    }
  }

  /** Bytes written and not yet taken by the kernel, queued ones included. */
  public get pending(): number {
    return this.bytes + this.socket.writableLength;
  }

  public get congested(): boolean {
    return this.pending > HIGH_WATER;
  }
}

function flushQueue(q: FrameQueue): void {
  q.flush();
}
