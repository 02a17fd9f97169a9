/**
 * One HTTP/2 stream from a client, as the exchange sees a request: the {@link Downstream} of one Exchange, and the
 * handler of the codec's stream (h2/stream.ts). Each stream is balanced on its own, so the calls a client
 * multiplexes on one connection spread over the endpoints.
 *
 * The response head waits (like HTTP/1.1's) until the first body byte, the trailers or the end: a try that fails
 * before then can still be retried or turned into a clear error. Head, body and end made in one tick leave in one
 * write (the session queues its frames until the end of the tick). The trailers of an HTTP/2 endpoint (gRPC's
 * grpc-status) are passed on.
 */
import type * as net from 'node:net';
import type { Downstream, RequestHead } from '../downstream';
import { Exchange } from '../exchange';
import { isGrpcContentType, parseGrpcTimeout } from '../grpc/status';
import { H2Error } from '../h2/frames';
import type { RequestFields } from '../h2/request-fields';
import type { H2Stream, H2StreamHandler } from '../h2/stream';
import { responseFields, trailerFields } from '../http/h2-headers';
import { forwardRequestHeaders, RequestHeadScan, scanRequestHead } from '../http/headers';
import type { Router } from '../router';
import { chunkOf, LAST_CHUNK } from '../upstream/dechunk';

const scan: RequestHeadScan = { withBody: false, givenId: '' };

export class H2StreamDownstream implements Downstream, H2StreamHandler {
  public readonly http10 = false;
  public readonly dechunk = true;
  public headSent = false;
  private pendingHead: string[] | undefined;
  private ex: Exchange | undefined;
  /** The request body is chunk-framed for an HTTP/1.1 endpoint (its length is unknown). */
  private chunking = false;

  public constructor(
    private readonly r: Router,
    private readonly stream: H2Stream,
    req: RequestFields,
    endStream: boolean,
    public readonly remoteAddress: string | undefined,
    secure: boolean,
  ) {
    const head = this.requestHead(req, endStream, secure);
    stream.handler = this;
    stream.expectedLength = req.contentLength;
    const ex = (this.ex = new Exchange(r, this, head));
    ex.start();
  }

  private requestHead(req: RequestFields, endStream: boolean, secure: boolean): RequestHead {
    const r = this.r;
    const fields = req.fields;
    scanRequestHead(fields, scan);
    const requestId = scan.givenId !== '' ? scan.givenId : r.ids.next();
    const list = forwardRequestHeaders(fields, { remoteAddress: this.remoteAddress, proto: secure ? 'https' : 'http', requestId });
    if (req.teTrailers) list.push('te', 'trailers');
    const bodyLength = endStream ? 0 : req.contentLength;
    if (bodyLength === -1 && !r.upstreamHttp2) {
      // An HTTP/1.1 endpoint needs a framing for a body of unknown length: chunked.
      this.chunking = true;
      list.push('transfer-encoding', 'chunked');
    }
    let contentType: string | undefined;
    let timeout: string | undefined;
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === 'content-type') contentType = fields[i + 1];
      else if (fields[i] === 'grpc-timeout') timeout = fields[i + 1];
    }
    const grpc = isGrpcContentType(contentType);
    return {
      method: req.method,
      target: req.path,
      headers: list,
      requestId,
      bodyLength,
      chunkedBody: this.chunking,
      upgrade: false,
      hashKey: r.hashKeyOf(fields, this.remoteAddress),
      grpc,
      grpcTimeoutMs: grpc ? parseGrpcTimeout(timeout) : undefined,
    };
  }

  // ---- H2StreamHandler: the client's side of the stream ----

  public onHeaders(): void {
    // Request trailers: neither HTTP/1.1 endpoints (without chunked trailers) nor the exchange carry them.
  }

  public onData(data: Buffer, start: number, end: number): void {
    const e = this.ex;
    if (e === undefined) return;
    const d = data.subarray(start, end);
    e.requestData(this.chunking ? chunkOf(d) : d);
  }

  public onEnd(): void {
    const e = this.ex;
    if (e === undefined) return;
    if (this.chunking) e.requestData(LAST_CHUNK);
    e.requestEnd();
  }

  public onReset(): void {
    const e = this.ex;
    this.ex = undefined;
    e?.clientGone();
  }

  public onDrain(): void {
    this.ex?.resumeResponse();
  }

  // ---- Downstream ----

  public sendInformational(status: number, headers: readonly string[]): void {
    if (this.headSent || this.stream.closed) return;
    this.stream.sendHeaders(responseFields(status, headers), false);
  }

  public sendHead(status: number, _reason: string, headers: string[]): void {
    this.pendingHead = responseFields(status, headers);
    this.headSent = true;
  }

  /** Puts the held head on the wire. `end`: no body and no trailers follow. */
  private flushHead(end: boolean): void {
    const h = this.pendingHead;
    if (h === undefined) return;
    this.pendingHead = undefined;
    this.stream.answered = true;
    this.stream.sendHeaders(h, end);
  }

  public sendData(data: Buffer, start: number, end: number): boolean {
    this.flushHead(false);
    return this.stream.writeData(start === 0 && end === data.length ? data : data.subarray(start, end), false);
  }

  public sendEnd(trailers?: readonly string[]): void {
    const st = this.stream;
    const t = trailers !== undefined && trailers.length > 0 ? trailerFields(trailers) : undefined;
    if (this.pendingHead !== undefined) {
      // No body: the head ends the stream, or the trailers that follow it do.
      this.flushHead(t === undefined);
      if (t !== undefined) st.sendHeaders(t, true);
      return;
    }
    if (t !== undefined) st.sendHeaders(t, true);
    else st.end();
  }

  public retractHead(): boolean {
    if (this.pendingHead === undefined) return false;
    this.pendingHead = undefined;
    this.headSent = false;
    return true;
  }

  public abort(): void {
    this.stream.answered = true;
    this.stream.reset(H2Error.InternalError);
  }

  public tunnel(socket: net.Socket): void {
    socket.destroy(); // HTTP/2 requests never upgrade (no 101 in HTTP/2)
  }

  public pauseRequest(): void {
    this.stream.pause();
  }

  public resumeRequest(): void {
    this.stream.resume();
  }

  public exchangeDone(): void {
    this.ex = undefined;
    const st = this.stream;
    if (st.closed || st.remoteEnded) return;
    // An answer sent before the request body ended: the rest of the body is not wanted (RFC 9113 8.1).
    if (st.localEnded) st.reset(H2Error.NoError);
    else st.resume();
  }
}
