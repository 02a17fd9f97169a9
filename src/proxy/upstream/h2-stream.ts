/**
 * One try on an HTTP/2 endpoint: one stream of a pooled session (h2-pool.ts), reported to its owner (the exchange)
 * through the same events an HTTP/1.1 connection uses, plus the trailers.
 *
 * Deadlines (deadlines.ts): requestMs from the request's last byte to the response head; idleMs between response
 * DATA frames (none while the client is the slow side). A stream that closes before its response head is "refused"
 * when the endpoint said it did not process it (REFUSED_STREAM, or a stream id above the GOAWAY's last one): the
 * exchange may then send the request to another endpoint whatever its method.
 */
import type { Expiring } from '../deadlines';
import type { RequestHead } from '../downstream';
import { H2Error } from '../h2/frames';
import type { H2Stream as CodecStream, H2StreamHandler } from '../h2/stream';
import { readResponseFields, requestFields } from '../http/h2-headers';
import type { ConnectionOwner, UpstreamConnection } from './connection-owner';
import { Framing } from './connection-owner';
import { ChunkedDecoder } from './dechunk';
import type { H2Pools, PooledSession } from './h2-pool';

export class H2Stream implements UpstreamConnection, Expiring, H2StreamHandler {
  public readonly uses = 1;
  public decodeChunked = false;
  public deadline = Infinity;
  private stream: CodecStream | undefined;
  private dechunker: ChunkedDecoder | undefined;
  private responded = false;
  private finished = false;
  private paused = false;
  private isHead = false;

  public constructor(
    private readonly pool: H2Pools,
    private readonly ps: PooledSession,
    private owner: ConnectionOwner,
  ) {}

  public send(req: RequestHead, hasBody: boolean): void {
    this.isHead = req.method === 'HEAD';
    if (req.chunkedBody) this.dechunker = new ChunkedDecoder();
    const st = this.ps.session.request(requestFields(req.method, this.pool.scheme, req.target, req.headers), !hasBody, this);
    if (st === undefined) {
      // The session went away between the pick and now (a GOAWAY, a close): nothing was sent.
      this.end();
      this.owner.onFailure('connect-failure', "the endpoint's session closed before the stream opened", false);
      return;
    }
    this.stream = st;
    this.pool.clock.add(this);
    if (!hasBody) this.deadline = this.pool.clock.in(this.pool.timeouts.requestMs);
  }

  // ---- H2StreamHandler: the endpoint's side ----

  public onHeaders(fields: string[], endStream: boolean): void {
    if (this.finished) return;
    const list: string[] = [];
    const status = readResponseFields(fields, list, this.responded);
    if (typeof status === 'string') {
      this.protocolError(`the endpoint sent a malformed HTTP/2 header block (${status})`);
      return;
    }
    if (this.responded) {
      this.owner.onResponseTrailers(list);
      return;
    }
    if (status < 200) {
      if (status === 101 || endStream) this.protocolError(`the endpoint answered ${status} over HTTP/2`);
      else this.owner.onInformational(status, list);
      return;
    }
    this.responded = true;
    this.deadline = this.pool.clock.in(this.pool.timeouts.idleMs);
    let length = -1;
    for (let i = 0; i < list.length; i += 2) if (list[i] === 'content-length') length = Number(list[i + 1]);
    const none = endStream || this.isHead || status === 204 || status === 304;
    if (!none && Number.isSafeInteger(length) && length >= 0 && this.stream !== undefined) this.stream.expectedLength = length;
    const framing = none ? Framing.None : length >= 0 ? Framing.Length : Framing.Close;
    this.owner.onResponseHead({ status, reason: '', headers: list, framing, length });
  }

  public onData(data: Buffer, start: number, end: number): void {
    if (this.finished) return;
    if (!this.paused) this.deadline = this.pool.clock.in(this.pool.timeouts.idleMs);
    if (!this.owner.onResponseData(data, start, end)) {
      this.paused = true;
      this.deadline = Infinity;
      this.stream?.pause();
    }
  }

  public onEnd(): void {
    if (this.finished) return;
    if (!this.responded) {
      this.protocolError('the endpoint ended the stream without a response head');
      return;
    }
    this.end();
    // An answer complete before the request body: the rest of the body is not wanted, and the stream must close.
    const st = this.stream;
    if (st !== undefined && !st.localEnded) st.reset(H2Error.Cancel);
    this.owner.onResponseEnd();
  }

  public onReset(code: number, cause: 'peer' | 'goaway' | 'session'): void {
    if (this.finished) return;
    this.end();
    if (!this.responded) {
      if (cause === 'goaway') {
        // The endpoint closed the session gracefully (GOAWAY: a max requests per connection, a restart) before it
        // read this stream: nothing was processed and the endpoint is fine, so the same request may go again to it.
        this.owner.onFailure('connect-failure', 'the endpoint sent GOAWAY before this stream; it was not processed', true);
        return;
      }
      if (cause === 'peer' && code === H2Error.RefusedStream) {
        this.owner.onFailure('connect-failure', 'the endpoint refused the stream unprocessed (REFUSED_STREAM)', false);
        return;
      }
    }
    const why =
      cause === 'peer'
        ? `the endpoint reset the stream (HTTP/2 error code ${code})`
        : `the connection to the endpoint closed${this.ps.error ? ` (${this.ps.error})` : ''}`;
    this.owner.onFailure('reset', why, false);
  }

  public onDrain(): void {
    this.owner.onWritable();
  }

  private protocolError(why: string): void {
    this.abandon();
    this.owner.onFailure('protocol', why, false);
  }

  // ---- UpstreamConnection ----

  public writeBody(data: Buffer): boolean {
    const st = this.stream;
    if (st === undefined || this.finished) return true;
    if (this.dechunker === undefined) return st.writeData(data, false);
    let ok = true;
    for (const piece of this.dechunker.decode(data)) ok = st.writeData(piece, false);
    return ok;
  }

  public endRequest(): void {
    const st = this.stream;
    if (st === undefined || this.finished) return;
    st.end();
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
    this.stream?.reset(H2Error.Cancel);
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
