/**
 * Retry policy: which requests may be retried and which failures count.
 *
 * Only idempotent methods without a request body are retried: the body of a streamed request is gone once sent,
 * and a POST that reached a backend must not run twice. Retries always go to another endpoint.
 */
import type { RetriesConfig } from '../../config';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/** True when the request declares a body (a non-zero content-length, or any transfer-encoding). */
export function hasRequestBody(headers: { 'content-length'?: string; 'transfer-encoding'?: string }): boolean {
  const cl = headers['content-length'];
  if (cl !== undefined && cl !== '0') return true;
  return headers['transfer-encoding'] !== undefined;
}

export type FailureKind = 'connect-failure' | 'reset' | 'timeout' | 'invalid-request' | 'other';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
/** undici refused to send the request as given: nothing reached the endpoint. */
const INVALID_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

export function classifyError(err: unknown): FailureKind {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const cause = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  for (const c of [code, cause]) {
    if (c === undefined) continue;
    if (CONNECT_CODES.has(c)) return 'connect-failure';
    if (RESET_CODES.has(c)) return 'reset';
    if (TIMEOUT_CODES.has(c)) return 'timeout';
    if (INVALID_CODES.has(c)) return 'invalid-request';
  }
  return 'other';
}

/** The retryOn list as fast flags. */
export interface RetryFlags {
  readonly attempts: number;
  readonly connectFailure: boolean;
  readonly reset: boolean;
  readonly status: ReadonlySet<number>;
}

export function retryFlags(c: RetriesConfig): RetryFlags {
  const on = new Set<string>(c.retryOn);
  const status = new Set<number>();
  for (const s of [502, 503, 504]) if (on.has(String(s))) status.add(s);
  return { attempts: c.attempts, connectFailure: on.has('connect-failure'), reset: on.has('reset'), status };
}

export function retriableFailure(kind: FailureKind, f: RetryFlags): boolean {
  return (kind === 'connect-failure' && f.connectFailure) || (kind === 'reset' && f.reset);
}
