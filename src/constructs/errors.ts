/**
 * Errors thrown while constructing: each names the construct path, the bad value and the fix.
 */
import { IConstruct } from 'constructs';

/** Stable codes a caller can match on. */
export type PropsErrorCode = 'LB_PROPS_INVALID' | 'LB_CONFIG_INVALID' | 'LB_BUNDLE_MISSING';

/** A prop the constructs cannot turn into working manifests. Thrown at construction, so `cdk8s synth` fails early. */
export class PropsError extends Error {
  constructor(
    readonly code: PropsErrorCode,
    readonly path: string,
    detail: string,
  ) {
    super(`${code}: ${path}: ${detail}`);
    this.name = 'PropsError';
  }
}

/** Renders a value for an error message, short enough to read. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value);
  if (s === undefined) return String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Throws a {@link PropsError} for `scope`: `what` is the prop, `got` the bad value, `fix` what to do instead.
 */
export function invalid(scope: IConstruct, what: string, got: unknown, fix: string): never {
  throw new PropsError('LB_PROPS_INVALID', scope.node.path, `${what} is invalid (got ${show(got)}); fix: ${fix}`);
}

/** Checks a TCP port number. */
export function checkPort(scope: IConstruct, what: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    invalid(scope, what, port, 'use an integer port between 1 and 65535');
  }
}

/** Checks a count that must be an integer >= min. */
export function checkInt(scope: IConstruct, what: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) {
    invalid(scope, what, value, `use an integer >= ${min}`);
  }
}
