/**
 * The exchange's core: one client request from admission to its last try's end, independent of the client's protocol
 * and of what the endpoint answers. Admission, the pick, the request body (see request-body.ts), the try on an upstream
 * connection, retries on another endpoint within the budget, the gRPC deadline, and the proxy's own answers.
 * {@link Exchange} adds the response side: what the endpoint answered, or how the try failed.
 *
 * One object per request serves as the admission waiter and as the owner of each try's connection: no promise and no
 * closure per request on the hot path.
 */
import type * as net from 'node:net';
import type { UpstreamEndpoint } from './discovery/endpoint-set';
import type { Downstream, RequestHead } from './downstream';
import { failureTrailers, GrpcStatus, grpcStatusForHttp, setRemainingTimeout, trailersOnly } from './grpc/status';
import type { Waiter } from './resilience/admission';
import { FailureKind, isIdempotent } from './resilience/policy';
import { retryVerdict } from './resilience/try-outcome';
import { RequestBody } from './request-body';
import type { Router } from './router';
import type { ConnectionOwner, ResponseHead, UpstreamConnection } from './upstream/connection-owner';

const TEXT = ['content-type', 'text/plain; charset=utf-8'];

export abstract class ExchangeCore implements Waiter, ConnectionOwner {
  public queueTimer?: NodeJS.Timeout;
  public contentLength = -1;
  public loadValue: string | undefined = undefined;
  public transferEncoding: string | undefined = undefined;
  protected readonly arrived: number;
  protected readonly retriable: boolean;
  protected readonly mayProbe: boolean;
  protected readonly hasBody: boolean;
  protected readonly body: RequestBody;
  protected requestEnded: boolean;
  protected conn: UpstreamConnection | undefined;
  protected ep: UpstreamEndpoint | undefined;
  protected tried: UpstreamEndpoint[] | undefined;
  protected attempts = 0;
  protected replayed = false;
  protected endpointId = '';
  /** The endpoint of the latest try, kept after the try ends: retries exclude it. */
  protected lastEndpoint: UpstreamEndpoint | undefined;
  protected tryStarted = 0;
  protected status = 0;
  protected admitted = false;
  protected finished = false;
  protected gone = false;
  protected responding = false;
  protected tunnelOpen = false;
  /** A gRPC answer whose outcome is the grpc-status of its trailers, still to come. */
  protected awaitStatus = false;
  protected trailers: readonly string[] | undefined;
  protected grpcTimer: NodeJS.Timeout | undefined;
  /** grpc-retry-pushback-ms of the try that asked for the pending retry. */
  protected pushbackMs = 0;
  protected pushbackTimer: NodeJS.Timeout | undefined;

  public constructor(
    protected readonly r: Router,
    protected readonly down: Downstream,
    protected readonly req: RequestHead,
  ) {
    this.arrived = r.now();
    this.hasBody = req.bodyLength !== 0;
    this.requestEnded = !this.hasBody;
    this.mayProbe = !this.hasBody && !req.upgrade && isIdempotent(req.method);
    this.retriable = this.mayProbe && r.retry.attempts > 0;
    this.body = new RequestBody(this.hasBody && r.keepBodies, r.config.limits.retryBufferBytes);
  }

  public start(): void {
    const r = this.r;
    r.active++;
    r.budget.recordRequest();
    const t = this.req.grpcTimeoutMs;
    if (t !== undefined) this.grpcTimer = setTimeout(() => this.deadlineExceeded(t), t);
    if (!r.admission.hasRoom() || !this.tryStart()) r.admission.wait(this);
  }

  // ---- admission (Waiter) ----

  public tryStart(): boolean {
    if (this.gone || this.finished) return true;
    const r = this.r;
    // A probe of an ejected endpoint is a real request: only one that is safe to send twice may be one.
    const choice = r.choose(this.req.hashKey, undefined, this.mayProbe);
    if (choice === 'busy') return false;
    if (choice === 'none') {
      r.metrics.pickNone.inc();
      this.reply(503, 'no healthy upstream: no endpoint is available to serve this request\n');
      return true;
    }
    r.admission.acquire();
    this.admitted = true;
    this.send(choice, false);
    return true;
  }

  public reject(reason: 'queue-full' | 'queue-timeout'): void {
    if (this.gone || this.finished) return;
    this.r.metrics.queueRejected.inc({ reason });
    this.reply(503, `overloaded: ${reason === 'queue-full' ? 'the request queue is full' : 'no capacity within the queue timeout'}\n`);
  }

  // ---- the request body, from the codec ----

  public requestData(data: Buffer): void {
    if (this.finished) return;
    const conn = this.conn;
    if (conn !== undefined && this.body.drained) {
      if (!this.body.write(conn, data)) this.down.pauseRequest();
      return;
    }
    if (this.body.enqueue(data)) this.down.pauseRequest();
  }

  public requestEnd(): void {
    this.requestEnded = true;
    if (this.conn !== undefined && this.body.drained) this.conn.endRequest();
  }

  // ---- the try ----

  protected send(ep: UpstreamEndpoint, fresh: boolean): void {
    this.ep = ep;
    this.lastEndpoint = ep;
    this.endpointId = ep.id;
    ep.inFlight++;
    this.tryStarted = this.r.now();
    this.r.pools.acquire(ep, this, fresh);
  }

  public onConnected(conn: UpstreamConnection): void {
    if (this.gone || this.finished) {
      conn.abandon();
      this.endTry();
      this.done();
      return;
    }
    this.conn = conn;
    const req = this.req;
    conn.decodeChunked = this.down.dechunk;
    if (req.grpcTimeoutMs !== undefined) setRemainingTimeout(req.headers, req.grpcTimeoutMs - (this.r.now() - this.arrived));
    conn.send(req, this.hasBody);
    this.flushQueue();
  }

  protected flushQueue(): void {
    const conn = this.conn as UpstreamConnection;
    // On a reused connection the queue is kept until the answer starts, so a stale-connection replay can resend it.
    const ok = this.body.flush(conn, conn.uses > 1 && this.requestEnded && !this.replayed && this.hasBody);
    if (this.requestEnded) conn.endRequest();
    else if (ok) this.down.resumeRequest();
  }

  public onWritable(): void {
    this.down.resumeRequest();
  }

  protected dropHeld(): void {
    this.body.dropHeld();
  }

  // ---- client side events ----

  /** The client's request failed after its head (a bad chunk, a stalled body): answer `status` if still possible. */
  public requestFailed(status: number, text: string): void {
    if (this.finished) return;
    this.cancelTry();
    // With a connect under way, onConnected or onFailure releases the endpoint once the exchange is finished.
    this.reply(status, text);
  }

  /** Lets go of the try under way (its connection is cancelled) and of a place in the admission queue. */
  private cancelTry(): void {
    const conn = this.conn;
    this.conn = undefined;
    if (conn !== undefined) {
      conn.abandon();
      this.endTry();
    }
    if (this.queueTimer !== undefined) this.r.admission.remove(this);
  }

  public clientGone(): void {
    if (this.gone) return;
    this.gone = true;
    if (this.queueTimer !== undefined) this.r.admission.remove(this);
    const conn = this.conn;
    this.conn = undefined;
    if (this.tunnelOpen) return; // tunnelClosed() follows
    if (conn !== undefined) {
      conn.abandon();
      this.endTry();
      this.done();
    } else if (this.ep === undefined || this.finished) {
      this.done();
    }
    // else a connect is under way: onConnected or onFailure finishes the exchange.
  }

  // ---- retries and endings ----

  /** Whether a retry may follow this try; takes it from the budget when so. */
  protected reserveRetry(anyMethod = false): boolean {
    const r = this.r;
    const allowed = (this.retriable || anyMethod) && !this.gone && !this.req.upgrade;
    const verdict = retryVerdict(r, allowed, this.attempts, this.tried, this.lastEndpoint as UpstreamEndpoint);
    if (verdict === 'budget-exhausted') r.metrics.budgetExhausted.inc();
    return verdict === 'retry';
  }

  protected retry(status: number, kind: FailureKind | undefined, detail = ''): void {
    const r = this.r;
    const wait = this.pushbackMs;
    if (wait > 0) {
      // The endpoint asked for a pause before the retry (grpc-retry-pushback-ms).
      this.pushbackMs = 0;
      // A timer of its own: grpcTimer, the call's deadline, is usually running (it made this wait never end).
      this.pushbackTimer ??= setTimeout(() => {
        this.pushbackTimer = undefined;
        if (!this.gone && !this.finished) this.retry(status, kind, detail);
      }, wait);
      return;
    }
    // The endpoint that just failed (endTry() has already let go of `ep`) is never the retry's.
    (this.tried ??= []).push(this.lastEndpoint as UpstreamEndpoint);
    const next = r.choose(this.req.hashKey, this.tried, false);
    if (typeof next === 'string') {
      if (status === 200) this.reply(503, 'upstream answered UNAVAILABLE and no other endpoint could take a retry\n');
      else if (status !== 0) this.reply(status, `upstream answered ${status} and no other endpoint could take a retry\n`);
      else this.fail(kind ?? 'reset', detail);
      return;
    }
    this.attempts++;
    r.metrics.retries.inc();
    this.body.rewind();
    this.send(next, false);
  }

  /** The call's grpc-timeout passed: cancel the try; the client gets DEADLINE_EXCEEDED. */
  protected deadlineExceeded(ms: number): void {
    this.grpcTimer = undefined;
    if (this.finished || this.gone) return;
    this.cancelTry();
    const text = `deadline exceeded: the call's grpc-timeout of ${Math.round(ms)} ms passed before it completed`;
    if (this.responding && this.down.headSent) {
      this.down.sendEnd(failureTrailers(GrpcStatus.DeadlineExceeded, text));
      this.done();
    } else {
      this.reply(504, text);
    }
  }

  protected fail(kind: FailureKind, detail: string): void {
    switch (kind) {
      case 'timeout':
        return this.reply(504, `upstream timeout: ${detail}\n`);
      case 'connect-failure':
        return this.reply(502, `upstream connect error: no endpoint accepted the connection (${detail})\n`);
      case 'protocol':
        return this.reply(502, `upstream protocol error: ${detail}\n`);
      default:
        return this.reply(502, `upstream reset: ${detail}\n`);
    }
  }

  protected endTry(): void {
    const ep = this.ep;
    if (ep === undefined) return;
    ep.inFlight--;
    this.ep = undefined;
    if (this.r.admission.queued > 0) this.r.admission.wake();
  }

  /** A proxy-made answer: short text, never a body from anywhere else. */
  public reply(status: number, text: string): void {
    const down = this.down;
    if (this.req.grpc === true && !this.gone && !down.headSent) {
      // A gRPC client reads errors from grpc-status (Trailers-Only), whatever the HTTP status would have been.
      down.sendHead(200, '', trailersOnly(grpcStatusForHttp(status), text), false);
      down.sendEnd();
      this.status = status;
      this.r.metrics.observe(status, (this.r.now() - this.arrived) / 1000);
    } else if (!this.gone && !down.headSent) {
      const body = Buffer.from(text, 'utf8');
      down.sendHead(status, '', [...TEXT, 'content-length', String(body.length)], !this.requestEnded);
      // An answer to HEAD has no body, whoever writes it.
      if (this.req.method !== 'HEAD') down.sendData(body, 0, body.length);
      down.sendEnd();
      this.status = status;
      this.r.metrics.observe(status, (this.r.now() - this.arrived) / 1000);
    } else if (!this.gone) {
      down.abort();
    }
    this.done();
  }

  protected done(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.grpcTimer !== undefined) clearTimeout(this.grpcTimer);
    if (this.pushbackTimer !== undefined) clearTimeout(this.pushbackTimer);
    const r = this.r;
    r.active--;
    if (this.admitted) r.admission.release();
    if (r.accessLog) {
      r.log.info('access', {
        method: this.req.method,
        path: this.req.target,
        status: this.gone && this.status === 0 ? 499 : this.status,
        endpoint: this.endpointId || undefined,
        tries: this.attempts + (this.endpointId ? 1 : 0),
        ms: r.now() - this.arrived,
        requestId: this.req.requestId,
      });
    }
    this.down.exchangeDone();
  }

  // ---- the response side, in Exchange ----

  public abstract onInformational(status: number, headers: string[]): void;
  public abstract onResponseHead(head: ResponseHead): void;
  public abstract onResponseData(data: Buffer, start: number, end: number): boolean;
  public abstract onResponseTrailers(list: string[]): void;
  public abstract onResponseEnd(): void;
  public abstract onUpgrade(socket: net.Socket, rest: Buffer, reason: string, headers: string[]): void;
  public abstract onFailure(kind: 'connect-failure' | 'reset' | 'timeout' | 'protocol', detail: string, replayable: boolean): void;
}
