/**
 * The exchange's response side: what the endpoint answered (head, body, trailers, an upgrade) or how the try failed,
 * and what follows: outcome feedback to the balancer and to health, a retry on another endpoint, or the answer
 * passed to the client through its codec (the {@link Downstream}). ExchangeCore (exchange-core.ts) holds the request
 * side: admission, the pick, the body, retries and the proxy's own answers.
 *
 * What may be retried: a try whose connect failed, for every method (no byte reached the endpoint; the body waits
 * until a connection exists, or is kept for HTTP/2); a reset or a retryOn status for an idempotent request without a
 * body; a gRPC UNAVAILABLE before any message reached the client, with its body kept; and, once and to the same
 * endpoint on a fresh connection, a request that met a stale keep-alive connection or an HTTP/2 GOAWAY (`replayable`).
 */
import type * as net from 'node:net';
import type { UpstreamEndpoint } from './discovery/endpoint-set';
import { ExchangeCore } from './exchange-core';
import { failureTrailers, GrpcStatus, grpcEndpointFailure, grpcStatusOf, parsePushback, valueOf } from './grpc/status';
import { forwardResponseHeaders, ResponseHeadScan } from './http/headers';
import { retriableFailure } from './resilience/policy';
import { recordTry } from './resilience/try-outcome';
import { Framing, ResponseHead, UpstreamConnection } from './upstream/connection-owner';

export class Exchange extends ExchangeCore implements ResponseHeadScan {
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

}
