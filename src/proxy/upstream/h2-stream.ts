/**
 * One try on an HTTP/2 endpoint: one stream of a pooled session (h2-pool.ts), reported to its owner (the exchange)
 * through the same events an HTTP/1.1 connection uses, plus the trailers.
 *
 * Deadlines (deadlines.ts): requestMs from the request's last byte to the response head; idleMs between response
 * DATA frames (none while the client is the slow side). A stream that closes before its response head is "refused"
 * when the endpoint said it did not process it (REFUSED_STREAM, or a stream id above the GOAWAY's last one): the
 * exchange may then send the request to another endpoint whatever its method.
 */
import * as http2 from 'node:http2';
import type { Expiring } from '../deadlines';
import type { RequestHead } from '../downstream';
import { flatten, toHeaderBlock } from '../http/h2-headers';
import type { ConnectionOwner, UpstreamConnection } from './connection-owner';
import { Framing } from './connection-owner';
import { ChunkedDecoder } from './dechunk';
import type { H2Pools, PooledSession } from './h2-pool';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM, HTTP2_HEADER_STATUS } = http2.constants;
const END_STREAM = 0x1;

export class H2Stream implements UpstreamConnection, Expiring {
  public readonly uses = 1;
  public decodeChunked = false;
  public deadline = Infinity;
  private stream: http2.ClientHttp2Stream | undefined;
  private dechunker: ChunkedDecoder | undefined;
  private responded = false;
  private finished = false;
  private paused = false;
  private isHead = false;
  private trailersSeen = false;

  public constructor(
    private readonly pool: H2Pools,
    private readonly ps: PooledSession,
    private owner: ConnectionOwner,
  ) {}

  public send(req: RequestHead, hasBody: boolean): void {
    this.isHead = req.method === 'HEAD';
    if (req.chunkedBody) this.dechunker = new ChunkedDecoder();
    let st: http2.ClientHttp2Stream;
    try {
      const block = { ':method': req.method, ':path': req.target, ':scheme': this.pool.scheme };
      st = this.ps.session.request(toHeaderBlock(req.headers, block, true), { endStream: !hasBody });
    } catch (err) {
      // The session went away between the pick and now (a GOAWAY, a close): nothing was sent.
      this.end();
      this.owner.onFailure('connect-failure', `the endpoint's session closed: ${(err as Error).message}`, false);
      return;
    }
    this.stream = st;
    this.pool.clock.add(this);
    if (!hasBody) this.deadline = this.pool.clock.in(this.pool.timeouts.requestMs);
    st.on('response', (headers, flags) => this.onResponse(headers, flags));
    st.on('headers', (headers) => {
      const status = Number(headers[HTTP2_HEADER_STATUS]);
      if (status >= 100 && status < 200 && !this.finished) this.owner.onInformational(status, flatten(headers));
    });
    st.on('data', (d: Buffer) => {
      if (this.finished) return;
      if (!this.paused) this.deadline = this.pool.clock.in(this.pool.timeouts.idleMs);
      if (!this.owner.onResponseData(d, 0, d.length)) {
        this.paused = true;
        this.deadline = Infinity;
        st.pause();
      }
    });
    st.on('trailers', (headers) => {
      this.trailersSeen = true;
      if (!this.finished) this.owner.onResponseTrailers(flatten(headers));
    });
    st.on('end', () => {
      if (this.finished || !this.responded) return;
      // Node also ends the readable side of a stream its peer never finished (the session died mid-response): that
      // stream is already closed with an error code, and 'close' reports it as a reset, not a complete answer.
      const code = st.rstCode;
      if (!this.trailersSeen && st.closed && code !== undefined && code !== NGHTTP2_NO_ERROR) return;
      this.end();
      this.owner.onResponseEnd();
    });
    st.on('drain', () => this.owner.onWritable());
    st.on('error', () => undefined); // 'close' reports it
    st.on('close', () => this.onClose(st));
  }

  private onResponse(headers: http2.IncomingHttpHeaders, flags: number): void {
    if (this.finished) return;
    this.responded = true;
    this.deadline = this.pool.clock.in(this.pool.timeouts.idleMs);
    const status = Number(headers[HTTP2_HEADER_STATUS]);
    const list = flatten(headers);
    const cl = headers['content-length'];
    const framing = (flags & END_STREAM) !== 0 || this.isHead ? Framing.None : cl !== undefined ? Framing.Length : Framing.Close;
    this.owner.onResponseHead({ status, reason: '', headers: list, framing, length: cl === undefined ? -1 : Number(cl) });
  }

  private onClose(st: http2.ClientHttp2Stream): void {
    if (this.finished) return;
    this.end();
    const code = st.rstCode ?? 0;
    if (!this.responded) {
      if (this.ps.goawayLast >= 0 && (st.id ?? Infinity) > this.ps.goawayLast) {
        // The endpoint closed the session gracefully (GOAWAY: a max requests per connection, a restart) before it
        // read this stream: nothing was processed and the endpoint is fine, so the same request may go again to it.
        this.owner.onFailure('connect-failure', 'the endpoint sent GOAWAY before this stream; it was not processed', true);
        return;
      }
      if (code === NGHTTP2_REFUSED_STREAM) {
        this.owner.onFailure('connect-failure', 'the endpoint refused the stream unprocessed (REFUSED_STREAM)', false);
        return;
      }
    }
    const why = this.ps.session.destroyed
      ? `the connection to the endpoint closed${this.ps.error ? ` (${this.ps.error})` : ''}`
      : `the endpoint reset the stream (HTTP/2 error code ${code})`;
    this.owner.onFailure('reset', why, false);
  }

  public writeBody(data: Buffer): boolean {
    const st = this.stream;
    if (st === undefined || this.finished) return true;
    if (this.dechunker === undefined) return st.write(data);
    let ok = true;
    for (const piece of this.dechunker.decode(data)) ok = st.write(piece);
    return ok;
  }

  public endRequest(): void {
    const st = this.stream;
    if (st === undefined || this.finished) return;
    if (!st.writableEnded) st.end();
    if (!this.responded) this.deadline = this.pool.clock.in(this.pool.timeouts.requestMs);
  }

  public resume(): void {
    if (!this.paused || this.finished) return;
    this.paused = false;
    this.deadline = this.pool.clock.in(this.pool.timeouts.idleMs);
    this.stream?.resume();
  }

  public abandon(): void {
    if (this.finished) return;
    this.end();
    const st = this.stream;
    if (st !== undefined && !st.closed) st.close(NGHTTP2_CANCEL);
  }

  public onDeadline(): void {
    if (this.finished) return;
    const before = this.responded ? `no response data for ${this.pool.timeouts.idleMs} ms` : `no response head within ${this.pool.timeouts.requestMs} ms`;
    this.abandon();
    this.owner.onFailure('timeout', before, false);
  }

  /** The try is over on this side: the stream slot goes back to the session. */
  private end(): void {
    this.finished = true;
    this.deadline = Infinity;
    this.pool.clock.delete(this);
    this.pool.released(this.ps);
  }
}
