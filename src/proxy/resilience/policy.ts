/**
 * Retry policy: which requests may be retried and which failures count.
 *
 * Only idempotent methods without a request body are retried after a reset or a retryOn status: the body of a
 * streamed request is gone once sent, and a POST that reached a backend must not run twice. A failed connect is
 * retried for every method, since nothing reached the endpoint. Retries always go to another endpoint.
 */
import type { RetriesConfig } from '../../config';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/**
 * Why a try failed without an answer: no connection (nothing was sent, so any method may go elsewhere), the
 * connection closed before or during the answer, no progress in time, or an answer that broke HTTP/1.1's rules.
 */
export type FailureKind = 'connect-failure' | 'reset' | 'timeout' | 'protocol';

/** The retryOn list as fast flags. */
export interface RetryFlags {
  readonly attempts: number;
  readonly connectFailure: boolean;
  readonly reset: boolean;
  readonly status: ReadonlySet<number>;
  /** gRPC UNAVAILABLE, before any response message reached the client. */
  readonly unavailable: boolean;
}

export function retryFlags(c: RetriesConfig): RetryFlags {
  const on = new Set<string>(c.retryOn);
  const status = new Set<number>();
  for (const s of [502, 503, 504]) if (on.has(String(s))) status.add(s);
  return { attempts: c.attempts, connectFailure: on.has('connect-failure'), reset: on.has('reset'), status, unavailable: on.has('unavailable') };
}

export function retriableFailure(kind: FailureKind, f: RetryFlags): boolean {
  return (kind === 'connect-failure' && f.connectFailure) || (kind === 'reset' && f.reset);
}
