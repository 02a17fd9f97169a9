/**
 * The contract between a protocol codec and the exchange: the request as the codec parsed it, and the client side the
 * exchange writes its answer through. HTTP/1.1 implements it today (http1/server.ts); HTTP/2 streams will too.
 */
import type * as net from 'node:net';

/** The client side of an exchange, as the codec that parsed the request offers it. */
export interface Downstream {
  readonly remoteAddress: string | undefined;
  /** The client speaks HTTP/1.0: no chunked, no 1xx. */
  readonly http10: boolean;
  /** The codec frames bodies itself (HTTP/1.0 by the close, HTTP/2 in DATA frames): give it de-chunked bytes. */
  readonly dechunk: boolean;
  readonly headSent: boolean;
  sendInformational(status: number, headers: readonly string[]): void;
  /** `close`: the framing ends with the connection, or the connection cannot be reused after this answer. */
  sendHead(status: number, reason: string, headers: string[], close: boolean): void;
  /** false: the client is slow; call the exchange's resumeResponse() on its drain. */
  sendData(data: Buffer, start: number, end: number): boolean;
  /** The answer is complete; `trailers` (names lower-case) go with it where the protocol carries them (HTTP/2). */
  sendEnd(trailers?: readonly string[]): void;
  /** Takes back a head that is not on the wire yet; false once bytes were written. */
  retractHead(): boolean;
  /** Breaks the client connection (a response cut short must not look complete). */
  abort(): void;
  /** 101: relay the head, then the connection becomes a two-way tunnel to `socket`. */
  tunnel(socket: net.Socket, rest: Buffer, reason: string, headers: string[]): void;
  pauseRequest(): void;
  resumeRequest(): void;
  /** The exchange is over; the codec may read the next request. */
  exchangeDone(): void;
}

/** The request as the codec parsed it. */
export interface RequestHead {
  readonly method: string;
  readonly target: string;
  /** Upstream header list, hop-by-hop removed, forwarding headers added (see http/headers.ts). */
  readonly headers: string[];
  readonly requestId: string;
  /** Content-Length of the body, -1 for chunked, 0 for none. */
  readonly bodyLength: number;
  readonly upgrade: boolean;
  readonly hashKey: string | undefined;
  /** The body bytes carry chunked framing (an HTTP/1.1 chunked request, or one an HTTP/2 codec framed so). */
  readonly chunkedBody?: boolean;
  /** A gRPC call (content-type application/grpc): gRPC outcomes, errors and deadlines apply. */
  readonly grpc?: boolean;
  /** The call's deadline from `grpc-timeout`, in ms from its arrival. */
  readonly grpcTimeoutMs?: number;
}
