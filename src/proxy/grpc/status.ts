/**
 * gRPC over HTTP/2, the parts a balancer needs: the status codes that say "this endpoint could not serve", the
 * `grpc-timeout` header, and the proxy's own errors written the way gRPC clients read them (HTTP 200 with
 * `grpc-status` and `grpc-message`, Trailers-Only), never a bare HTTP 502 that a client reports as a confusing
 * UNKNOWN or INTERNAL. The spec: grpc/grpc doc/PROTOCOL-HTTP2.md and doc/statuscodes.md.
 */

export const enum GrpcStatus {
  Ok = 0,
  Cancelled = 1,
  Unknown = 2,
  DeadlineExceeded = 4,
  ResourceExhausted = 8,
  Internal = 13,
  Unavailable = 14,
}

/** True for a request gRPC clients make: `content-type: application/grpc` or `application/grpc+<codec>`. */
export function isGrpcContentType(value: string | undefined): boolean {
  return value !== undefined && value.startsWith('application/grpc') && (value.length === 16 || value[16] === '+' || value[16] === ';');
}

/**
 * Whether a call's status counts against the endpoint, for outlier detection and the latency penalty: only those that
 * mean the endpoint could not serve (overloaded, going away, unreachable). Application errors such as NOT_FOUND do not.
 */
export function grpcEndpointFailure(status: number): boolean {
  return status === GrpcStatus.Unavailable || status === GrpcStatus.ResourceExhausted;
}

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout` (1 to 8 digits and a unit, H M S m u n) in ms; undefined when absent or malformed (then ignored). */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined || value.length < 2 || value.length > 9) return undefined;
  const unit = UNIT_MS[value[value.length - 1]];
  const digits = value.slice(0, -1);
  if (unit === undefined || !/^\d+$/.test(digits)) return undefined;
  return Number(digits) * unit;
}

/** A timeout for the `grpc-timeout` header: whole milliseconds, at most 8 digits (the header's limit). */
export function formatGrpcTimeout(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  return whole < 100_000_000 ? `${whole}m` : `${Math.min(99_999_999, Math.ceil(whole / 1000))}S`;
}

/**
 * `grpc-retry-pushback-ms` from the endpoint: a delay in ms before a retry, or 'never' (a negative or malformed value
 * means "do not retry"); undefined when absent.
 */
export function parsePushback(value: string | undefined): number | 'never' | undefined {
  if (value === undefined) return undefined;
  return /^\d{1,9}$/.test(value) ? Number(value) : 'never';
}

/** The gRPC status for an answer the proxy makes itself, from the HTTP status it would give an HTTP client. */
export function grpcStatusForHttp(status: number): GrpcStatus {
  switch (status) {
    case 504:
    case 408:
      return GrpcStatus.DeadlineExceeded;
    case 502:
    case 503:
      return GrpcStatus.Unavailable;
    case 413:
    case 431:
      return GrpcStatus.ResourceExhausted;
    default:
      return status >= 500 ? GrpcStatus.Unavailable : GrpcStatus.Internal;
  }
}

/** `grpc-message` is percent-encoded UTF-8: bytes outside printable ASCII, and `%`, are escaped. */
export function encodeGrpcMessage(text: string): string {
  let out = '';
  for (const b of Buffer.from(text.trim(), 'utf8')) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The `grpc-status` value of a header list, or -1. */
export function grpcStatusOf(list: readonly string[]): number {
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] === 'grpc-status') {
      const v = list[i + 1];
      return /^\d{1,2}$/.test(v) ? Number(v) : GrpcStatus.Unknown;
    }
  }
  return -1;
}

/** The value of `name` (lower-case) in a flat header list whose names are lower-case. */
export function valueOf(list: readonly string[], name: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
  return undefined;
}

/** The header list of a Trailers-Only gRPC answer the proxy makes: HTTP 200, the status and its message. */
export function trailersOnly(status: GrpcStatus, text: string): string[] {
  return ['content-type', 'application/grpc', 'grpc-status', String(status), 'grpc-message', encodeGrpcMessage(text)];
}

/** The trailers that end a call the proxy must fail after its response started. */
export function failureTrailers(status: GrpcStatus, text: string): string[] {
  return ['grpc-status', String(status), 'grpc-message', encodeGrpcMessage(text)];
}

/** Sets `grpc-timeout` in a request header list to what is left of the call's deadline. */
export function setRemainingTimeout(list: string[], remainingMs: number): void {
  for (let i = 0; i < list.length; i += 2) {
    if (list[i].toLowerCase() === 'grpc-timeout') {
      list[i + 1] = formatGrpcTimeout(remainingMs);
      return;
    }
  }
}
