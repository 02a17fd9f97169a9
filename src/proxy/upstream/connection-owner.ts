/**
 * What an upstream connection reports to the try that owns it, and the shape of a response head: the contract between
 * the upstream side (h1-connection.ts today, HTTP/2 sessions later) and the exchange.
 */
import type * as net from 'node:net';
import type { UpstreamEndpoint } from '../discovery/endpoint-set';
import type { RequestHead } from '../downstream';

/** How a response body is framed. */
export const enum Framing {
  None = 0,
  Length = 1,
  Chunked = 2,
  Close = 3,
}

export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  /** Flat [name, value, ...] list, latin1, values without surrounding whitespace. */
  readonly headers: string[];
  readonly framing: Framing;
  readonly length: number;
}

/** What a connection reports to the try that owns it. */
export interface ConnectionOwner {
  /** Connected (or taken from the pool): the request may be written. */
  onConnected(conn: UpstreamConnection): void;
  /** A 1xx other than 101. */
  onInformational(status: number, headers: string[]): void;
  onResponseHead(head: ResponseHead): void;
  /** Body bytes: data[start, end). Return false to pause the upstream until resume(). */
  onResponseData(data: Buffer, start: number, end: number): boolean;
  onResponseEnd(): void;
  /** Trailers (HTTP/2 upstreams): names lower-case. Comes before onResponseEnd. */
  onResponseTrailers(list: string[]): void;
  /** 101 Switching Protocols: the socket and the bytes after the head now belong to the owner. */
  onUpgrade(socket: net.Socket, rest: Buffer, reason: string, headers: string[]): void;
  /** The request may write more body. */
  onWritable(): void;
  /**
   * The try failed. `kind` is the failure class; `detail` says what was wrong, for the client's 502 body.
   * `replayable`: the endpoint processed nothing and is not to blame, so the same request may go again to it on a
   * fresh connection: a reused HTTP/1.1 connection that died before any response byte and before any request byte
   * was flushed (or the request had no body), or an HTTP/2 stream above the last stream id of the endpoint's GOAWAY.
   */
  onFailure(kind: 'connect-failure' | 'reset' | 'timeout' | 'protocol', detail: string, replayable: boolean): void;
}

export interface ConnectionTimeouts {
  readonly connectMs: number;
  readonly requestMs: number;
  readonly idleMs: number;
}

/**
 * What a try writes its request through: an HTTP/1.1 connection (one request at a time) or one stream of an HTTP/2
 * session. The exchange sees only this.
 */
export interface UpstreamConnection {
  /** Requests carried; above 1 means a reused HTTP/1.1 connection (the stale keep-alive race is possible). */
  readonly uses: number;
  /** Hand the body de-chunked (the client side frames bodies itself). */
  decodeChunked: boolean;
  /** Writes the request head; `hasBody`: body bytes follow through writeBody and endRequest. */
  send(req: RequestHead, hasBody: boolean): void;
  /** false: the endpoint is slow to read; the owner's onWritable follows. */
  writeBody(data: Buffer): boolean;
  endRequest(): void;
  /** The owner lets go before the answer is over: the connection or stream is cancelled. */
  abandon(): void;
  resume(): void;
}

/** Upstream connections per endpoint: HTTP/1.1 keep-alive pools or HTTP/2 session pools. */
export interface UpstreamPool {
  /** Gives `owner` a connection to `ep` through onConnected, or reports onFailure. `fresh`: no reused connection. */
  acquire(ep: UpstreamEndpoint, owner: ConnectionOwner, fresh?: boolean): void;
  /** The endpoint left the set. */
  retire(ep: UpstreamEndpoint): void;
  /** Closes what is idle (shutdown). */
  closeIdle(): void;
  /** Connections (or sessions) open to `ep`. */
  openTo(ep: UpstreamEndpoint): number;
}
