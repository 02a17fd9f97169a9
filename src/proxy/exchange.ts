/**
 * The exchange: one client request from its head to the last byte of its answer, independent of the client's
 * protocol. Admission, the pick, the try on an upstream connection, outcome feedback to the balancer and to health,
 * and retries on another endpoint within the budget.
 *
 * The codec that parsed the request (the {@link Downstream}) feeds it the body and writes what it decides. One object
 * per request serves as the admission waiter and as the owner of each try's connection: no promise and no closure
 * per request on the hot path.
 *
 * What may be retried: a try whose connect failed, for every method (no byte reached the endpoint; the body waits in
 * `queue` until a connection exists); a reset or a retryOn status for an idempotent request without a body; and, once
 * and on a fresh connection to the same endpoint, a request that met a stale keep-alive connection (`replayable`).
 */
import type * as net from 'node:net';
import type { UpstreamEndpoint } from './discovery/endpoint-set';
import { forwardResponseHeaders, ResponseHeadScan } from './http/headers';
import {
  failureTrailers,
  GrpcStatus,
  grpcEndpointFailure,
  grpcStatusForHttp,
  grpcStatusOf,
  parsePushback,
  setRemainingTimeout,
  trailersOnly,
  valueOf,
} from './grpc/status';
import type { Waiter } from './resilience/admission';
import { FailureKind, isIdempotent, retriableFailure } from './resilience/policy';
import { recordTry, retryVerdict } from './resilience/try-outcome';
import type { Downstream, RequestHead } from './downstream';
import { RequestBody } from './request-body';
import type { Router } from './router';
import { ConnectionOwner, Framing, ResponseHead, UpstreamConnection } from './upstream/connection-owner';

const TEXT = ['content-type', 'text/plain; charset=utf-8'];

export class Exchange implements Waiter, ConnectionOwner, ResponseHeadScan {
  public queueTimer?: NodeJS.Timeout;
  public contentLength = -1;
  public loadValue: string | undefined = undefined;
  public transferEncoding: string | undefined = undefined;
  private readonly arrived: number;
  private readonly retriable: boolean;
  private readonly mayProbe: boolean;
  private readonly hasBody: boolean;
  private readonly body: RequestBody;
  private requestEnded: boolean;
  private conn: UpstreamConnection | undefined;
  private ep: UpstreamEndpoint | undefined;
  private tried: UpstreamEndpoint[] | undefined;
  private attempts = 0;
  private replayed = false;
  private endpointId = '';
  /** The endpoint of the latest try, kept after the try ends: retries exclude it. */
  private lastEndpoint: UpstreamEndpoint | undefined;
  private tryStarted = 0;
  private status = 0;
  private admitted = false;
  private finished = false;
  private gone = false;
  private responding = false;
  private tunnelOpen = false;
  /** A gRPC answer whose outcome is the grpc-status of its trailers, still to come. */
  private awaitStatus = false;
  private trailers: readonly string[] | undefined;
  private grpcTimer: NodeJS.Timeout | undefined;
  /** grpc-retry-pushback-ms of the try that asked for the pending retry. */
  private pushbackMs = 0;
  private pushbackTimer: NodeJS.Timeout | undefined;

  public constructor(
    private readonly r: Router,
    private readonly down: Downstream,
    private readonly req: RequestHead,
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

  private send(ep: UpstreamEndpoint, fresh: boolean): void {
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

  private flushQueue(): void {
    const conn = this.conn as UpstreamConnection;
    // On a reused connection the queue is kept until the answer starts, so a stale-connection replay can resend it.
    const ok = this.body.flush(conn, conn.uses > 1 && this.requestEnded && !this.replayed && this.hasBody);
    if (this.requestEnded) conn.endRequest();
    else if (ok) this.down.resumeRequest();
  }

  public onWritable(): void {
    this.down.resumeRequest();
  }

  public onInformational(status: number, headers: string[]): void {
    // 100 Continue was answered by the codec itself; other 1xx (102, 103) go to clients that can take them.
    if (status !== 100 && !this.gone && !this.down.http10 && !this.down.headSent) this.down.sendInformational(status, headers);
  }

  public onResponseHead(head: ResponseHead): void {
    const r = this.r;
    const ep = this.ep as UpstreamEndpoint;
    const status = head.status;
    this.dropHeld();
    const grpcStatus = this.req.grpc === true && status === 200 ? grpcStatusOf(head.headers) : -1;
    this.awaitStatus = this.req.grpc === true && status === 200 && grpcStatus < 0 && head.framing !== Framing.None;
    const ok = grpcStatus >= 0 ? !grpcEndpointFailure(grpcStatus) : status < 500;
    const list = forwardResponseHeaders(head.headers, r.loadHeader, this);
    if (!this.awaitStatus) recordTry(r, ep, { ok, status, latencyMs: r.now() - this.tryStarted, loadReport: r.loadReportOf(this.loadValue) });
    const again = grpcStatus === GrpcStatus.Unavailable ? this.unavailableRetry(head.headers) : r.retry.status.has(status) && this.reserveRetry();
    if (!ok && again) {
      const conn = this.conn as UpstreamConnection;
      this.endTry();
      conn.abandon();
      this.retry(status, undefined);
      return;
    }
    if (this.gone) return;
    let close = head.framing === Framing.Close;
    const te = this.transferEncoding;
    if (te !== undefined) {
      if (!this.down.dechunk) {
        // Passed on as sent: the codings (gzip, chunked) describe the bytes that follow, which pass untouched.
        list.push('transfer-encoding', te);
      } else if (head.framing !== Framing.None && te.trim().toLowerCase() !== 'chunked') {
        // An HTTP/1.0 client gets the body de-chunked, but other codings it cannot undo.
        const conn = this.conn as UpstreamConnection;
        this.endTry();
        conn.abandon();
        this.fail('protocol', `the endpoint used transfer codings (${te}) an HTTP/1.0 client cannot take`);
        return;
      } else if (this.down.http10) {
        close = true;
      }
    }
    if (this.req.upgrade) close = true; // no 101: the client may already speak the new protocol; start over
    this.status = status;
    this.responding = true;
    this.down.sendHead(status, head.reason, list, close || !this.requestEnded);
    r.metrics.observe(status, (r.now() - this.arrived) / 1000);
  }

  public onResponseData(data: Buffer, start: number, end: number): boolean {
    if (this.gone) return true;
    return this.down.sendData(data, start, end);
  }

  public resumeResponse(): void {
    this.conn?.resume();
  }

  public onResponseTrailers(list: string[]): void {
    if (this.awaitStatus) {
      this.awaitStatus = false;
      const status = grpcStatusOf(list);
      const ep = this.ep as UpstreamEndpoint;
      recordTry(this.r, ep, { ok: status >= 0 && !grpcEndpointFailure(status), status: 200, latencyMs: this.r.now() - this.tryStarted });
      // UNAVAILABLE before any message reached the client: the call may still go to another endpoint.
      if (status === GrpcStatus.Unavailable && this.unavailableRetry(list) && this.down.retractHead()) {
        const conn = this.conn as UpstreamConnection;
        this.responding = false;
        this.endTry();
        conn.abandon();
        this.retry(200, undefined);
        return;
      }
    }
    this.trailers = list;
  }

  public onResponseEnd(): void {
    this.conn = undefined;
    if (this.awaitStatus) {
      // A gRPC answer that ended without a grpc-status: the client sees an error; the endpoint is blamed.
      this.awaitStatus = false;
      recordTry(this.r, this.ep as UpstreamEndpoint, { ok: false, status: 200, latencyMs: this.r.now() - this.tryStarted });
    }
    this.endTry();
    if (!this.gone) this.down.sendEnd(this.trailers);
    this.done();
  }

  /** Whether a gRPC UNAVAILABLE may go again: retryOn has it, the body can be sent again, the budget allows. */
  private unavailableRetry(list: readonly string[]): boolean {
    if (!this.r.retry.unavailable || !this.body.replayable) return false;
    const pushback = parsePushback(valueOf(list, 'grpc-retry-pushback-ms'));
    if (pushback === 'never') return false;
    if (!this.reserveRetry(true)) return false;
    this.pushbackMs = pushback ?? 0;
    return true;
  }



  public onUpgrade(socket: net.Socket, rest: Buffer, reason: string, headers: string[]): void {
    if (!this.req.upgrade) {
      socket.destroy();
      this.onFailure('protocol', 'the endpoint switched protocols (101) although the request asked for no upgrade', false);
      return;
    }
    this.conn = undefined;
    const ep = this.ep as UpstreamEndpoint;
    ep.successes++;
    this.r.outlier.onSuccess(ep);
    if (this.gone) {
      socket.destroy();
      this.endTry();
      this.done();
      return;
    }
    this.status = 101;
    this.tunnelOpen = true;
    this.r.metrics.observe(101, (this.r.now() - this.arrived) / 1000);
    this.down.tunnel(socket, rest, reason, headers);
    // The request is over: a tunnel holds no admission slot and does not keep a drain waiting (it is closed at the
    // drain's end). Its endpoint counts it in flight until it closes.
    this.done();
  }

  /** The tunnel of an upgrade closed (either side). */
  public tunnelClosed(): void {
    if (!this.tunnelOpen) return;
    this.tunnelOpen = false;
    this.endTry();
  }

  public onFailure(kind: 'connect-failure' | 'reset' | 'timeout' | 'protocol', detail: string, replayable: boolean): void {
    const ep = this.ep as UpstreamEndpoint;
    const r = this.r;
    this.conn = undefined;
    if (this.gone || this.finished) {
      this.endTry();
      this.done();
      return;
    }
    if (this.responding) {
      this.endTry();
      r.metrics.failures.inc({ kind });
      ep.failures++;
      r.outlier.onFailure(ep);
      if (this.down.retractHead()) {
        // Nothing reached the client yet (the head waits for the first body byte): it can still get a clear 502.
        this.responding = false;
        this.fail(kind, detail);
        return;
      }
      // The answer started: the client must see a broken response, not a short one that looks complete. A gRPC
      // client reads a failure status in the trailers.
      if (this.req.grpc === true) this.down.sendEnd(failureTrailers(GrpcStatus.Unavailable, `upstream ${kind}: ${detail}`));
      else this.down.abort();
      this.done();
      return;
    }
    if (replayable && !this.replayed && (!this.hasBody || this.body.held || this.body.replayable)) {
      // The stale keep-alive race (the endpoint closed an idle connection as the request went out), or an HTTP/2
      // GOAWAY before the stream was read: not the endpoint's fault, and nothing was processed.
      this.replayed = true;
      ep.inFlight--;
      this.body.rewind();
      this.send(ep, true);
      return;
    }
    this.dropHeld();
    r.metrics.failures.inc({ kind });
    recordTry(r, ep, { ok: false, latencyMs: r.now() - this.tryStarted });
    this.endTry();
    const safe = (kind === 'connect-failure' && this.body.replayable) || (kind === 'reset' && this.retriable);
    if (safe && retriableFailure(kind, r.retry) && this.reserveRetry(kind === 'connect-failure')) this.retry(0, kind, detail);
    else this.fail(kind, detail);
  }

  private dropHeld(): void {
    this.body.dropHeld();
  }

  // ---- client side events ----

  /** The client's request failed after its head (a bad chunk, a stalled body): answer `status` if still possible. */
  public requestFailed(status: number, text: string): void {
    if (this.finished) return;
    const conn = this.conn;
    this.conn = undefined;
    if (conn !== undefined) {
      conn.abandon();
      this.endTry();
    }
    if (this.queueTimer !== undefined) this.r.admission.remove(this);
    // With a connect under way, onConnected or onFailure releases the endpoint once the exchange is finished.
    this.reply(status, text);
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
  private reserveRetry(anyMethod = false): boolean {
    const r = this.r;
    const allowed = (this.retriable || anyMethod) && !this.gone && !this.req.upgrade;
    const verdict = retryVerdict(r, allowed, this.attempts, this.tried, this.lastEndpoint as UpstreamEndpoint);
    if (verdict === 'budget-exhausted') r.metrics.budgetExhausted.inc();
    return verdict === 'retry';
  }

  private retry(status: number, kind: FailureKind | undefined, detail = ''): void {
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
  private deadlineExceeded(ms: number): void {
    this.grpcTimer = undefined;
    if (this.finished || this.gone) return;
    const conn = this.conn;
    this.conn = undefined;
    if (conn !== undefined) {
      conn.abandon();
      this.endTry();
    }
    if (this.queueTimer !== undefined) this.r.admission.remove(this);
    const text = `deadline exceeded: the call's grpc-timeout of ${Math.round(ms)} ms passed before it completed`;
    if (this.responding && this.down.headSent) {
      this.down.sendEnd(failureTrailers(GrpcStatus.DeadlineExceeded, text));
      this.done();
    } else {
      this.reply(504, text);
    }
  }

  private fail(kind: FailureKind, detail: string): void {
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

  private endTry(): void {
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

  private done(): void {
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
}
