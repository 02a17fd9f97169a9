/**
 * One HTTP/2 stream from a client, as the exchange sees a request: the {@link Downstream} of one Exchange. Each stream
 * is balanced on its own, so the calls a client multiplexes on one connection spread over the endpoints.
 *
 * The response head waits (like HTTP/1.1's) until the first body byte, the trailers or the end: a try that fails
 * before then can still be retried or turned into a clear error. Bodies pass as DATA frames; the trailers of an HTTP/2
 * endpoint (gRPC's grpc-status) are passed on.
 */
import type * as http2 from 'node:http2';
import type * as net from 'node:net';
import { constants } from 'node:http2';
import type { Downstream, RequestHead } from '../downstream';
import { Exchange } from '../exchange';
import { isGrpcContentType, parseGrpcTimeout } from '../grpc/status';
import { toHeaderBlock } from '../http/h2-headers';
import { forwardRequestHeaders, RequestHeadScan, scanRequestHead } from '../http/headers';
import type { Router } from '../router';
import { chunkOf, LAST_CHUNK } from '../upstream/dechunk';

const { NGHTTP2_INTERNAL_ERROR } = constants;
const END_STREAM = 0x1;

const scan: RequestHeadScan = { withBody: false, givenId: '' };

export class H2StreamDownstream implements Downstream {
  public readonly http10 = false;
  public readonly dechunk = true;
  public headSent = false;
  public readonly remoteAddress: string | undefined;
  private pendingHead: http2.OutgoingHttpHeaders | undefined;
  private ex: Exchange | undefined;
  /** The request body is chunk-framed for an HTTP/1.1 endpoint (its length is unknown). */
  private chunking = false;
  private done = false;
  /** The head went out with waitForTrailers: the stream ends with sendTrailers. */
  private trailersWanted = false;
  /** The first body bytes, held with the head until the end of the tick (see sendData). */
  private firstChunk: Buffer | undefined;
  /** The head went out with END_STREAM. */
  private endedByHead = false;
  /** The proxy reset this stream itself: its 'aborted' is not the client's doing (see Http2Front's reset guard). */
  public resetByProxy = false;

  public constructor(
    private readonly r: Router,
    private readonly stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    flags: number,
    rawHeaders: readonly string[],
    remoteAddress: string | undefined,
    secure: boolean,
  ) {
    this.remoteAddress = remoteAddress;
    const head = this.requestHead(headers, flags, rawHeaders, secure);
    const ex = (this.ex = new Exchange(r, this, head));
    stream.on('data', (d: Buffer) => this.ex?.requestData(this.chunking ? chunkOf(d) : d));
    stream.on('end', () => {
      const e = this.ex;
      if (e === undefined) return;
      if (this.chunking) e.requestData(LAST_CHUNK);
      e.requestEnd();
    });
    stream.on('drain', () => this.ex?.resumeResponse());
    stream.on('error', () => undefined); // 'close' follows
    stream.on('close', () => {
      const e = this.ex;
      this.ex = undefined;
      e?.clientGone();
    });
    if (head.bodyLength === 0) stream.resume();
    ex.start();
  }

  private requestHead(headers: http2.IncomingHttpHeaders, flags: number, raw: readonly string[], secure: boolean): RequestHead {
    const r = this.r;
    // The header list as HTTP/1.1 would carry it: :authority becomes Host; pseudo-headers go.
    const fields: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (raw[i].charCodeAt(0) !== 58 /* : */) fields.push(raw[i], raw[i + 1]);
    const authority = headers[':authority'];
    if (authority !== undefined && headers.host === undefined) fields.push('host', String(authority));
    scanRequestHead(fields, scan);
    const requestId = scan.givenId !== '' ? scan.givenId : r.ids.next();
    const list = forwardRequestHeaders(fields, { remoteAddress: this.remoteAddress, proto: secure ? 'https' : 'http', requestId });
    const te = headers.te;
    if (typeof te === 'string' && te.toLowerCase() === 'trailers') list.push('te', 'trailers');
    const cl = headers['content-length'];
    let bodyLength = (flags & END_STREAM) !== 0 ? 0 : cl !== undefined ? Number(cl) : -1;
    if (!Number.isSafeInteger(bodyLength)) bodyLength = -1;
    if (bodyLength === -1 && !r.upstreamHttp2) {
      // An HTTP/1.1 endpoint needs a framing for a body of unknown length: chunked.
      this.chunking = true;
      list.push('transfer-encoding', 'chunked');
    }
    const contentType = headers['content-type'];
    const grpc = isGrpcContentType(typeof contentType === 'string' ? contentType : undefined);
    const gt = headers['grpc-timeout'];
    return {
      method: String(headers[':method']),
      target: String(headers[':path']),
      headers: list,
      requestId,
      bodyLength,
      chunkedBody: this.chunking,
      upgrade: false,
      hashKey: r.hashKeyOf(fields, this.remoteAddress),
      grpc,
      grpcTimeoutMs: grpc ? parseGrpcTimeout(typeof gt === 'string' ? gt : undefined) : undefined,
    };
  }

  // ---- Downstream ----

  public sendInformational(status: number, headers: readonly string[]): void {
    if (this.stream.headersSent || this.stream.destroyed) return;
    const h = toHeaderBlock(headers, {});
    h[':status'] = status;
    try {
      this.stream.additionalHeaders(h);
    } catch {
      // A 1xx is advisory; one the client cannot take is dropped.
    }
  }

  public sendHead(status: number, _reason: string, headers: string[]): void {
    const h = toHeaderBlock(headers, {});
    h[':status'] = status;
    this.pendingHead = h;
    this.headSent = true;
  }

  /** Puts the held head on the wire. `end`: no body and no trailers follow. */
  private flushHead(end: boolean, trailers: boolean): boolean {
    const h = this.pendingHead;
    if (h === undefined) return true;
    this.pendingHead = undefined;
    const st = this.stream;
    if (st.destroyed || st.closed) return false;
    this.trailersWanted = trailers && !end;
    this.endedByHead = end;
    try {
      st.respond(h, { endStream: end, waitForTrailers: this.trailersWanted });
    } catch (err) {
      this.r.log.debug('could not send a response head to an HTTP/2 client', { error: (err as Error).message });
      this.reset();
      return false;
    }
    return true;
  }

  public sendData(data: Buffer, start: number, end: number): boolean {
    const chunk = start === 0 && end === data.length ? data : data.subarray(start, end);
    if (this.pendingHead !== undefined && this.firstChunk === undefined) {
      // The head and the first bytes wait for the end of this tick: a small answer (head, body, end in one read
      // from the endpoint) then leaves as one respond and one end, not three writes.
      this.firstChunk = chunk;
      process.nextTick(flushFirst, this);
      return true;
    }
    this.flushFirst();
    const st = this.stream;
    if (st.destroyed) return true;
    return st.write(chunk);
  }

  /** Writes the held head and first chunk, if they are still held. */
  public flushFirst(): void {
    const chunk = this.firstChunk;
    if (chunk === undefined) return;
    this.firstChunk = undefined;
    if (this.flushHead(false, this.r.upstreamHttp2) && !this.stream.destroyed) this.stream.write(chunk);
  }

  public sendEnd(trailers?: readonly string[]): void {
    const st = this.stream;
    const withTrailers = trailers !== undefined && trailers.length > 0;
    const chunk = this.firstChunk;
    if (chunk !== undefined && !withTrailers && !this.r.upstreamHttp2) {
      // The whole answer is here: one respond, one end.
      this.firstChunk = undefined;
      if (this.flushHead(false, false) && !st.destroyed) st.end(chunk);
      return;
    }
    this.flushFirst();
    if (this.pendingHead !== undefined) {
      // No body: the head ends the stream, or, with trailers to come, waits for them.
      if (!this.flushHead(!withTrailers, withTrailers)) return;
    }
    if (st.destroyed || this.endedByHead) return;
    if (this.trailersWanted) {
      const t = withTrailers ? toHeaderBlock(trailers, {}) : {};
      st.once('wantTrailers', () => {
        try {
          st.sendTrailers(t);
        } catch {
          this.reset();
        }
      });
    }
    st.end();
  }

  public retractHead(): boolean {
    if (this.pendingHead === undefined || this.firstChunk !== undefined) return false;
    this.pendingHead = undefined;
    this.headSent = false;
    return true;
  }

  public abort(): void {
    if (!this.stream.destroyed) this.reset();
  }

  private reset(): void {
    this.resetByProxy = true;
    this.stream.close(NGHTTP2_INTERNAL_ERROR);
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
    if (this.done) return;
    this.done = true;
    const st = this.stream;
    // An answer sent before the request body ended: the rest of the body is not wanted (RFC 9113 8.1).
    if (!st.readableEnded && !st.destroyed) st.resume();
  }
}

function flushFirst(d: H2StreamDownstream): void {
  d.flushFirst();
}
