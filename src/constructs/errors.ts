/**
 * The error every construct of this library throws for props it cannot turn into working manifests.
 */

/** Stable codes a caller can match on. */
export type PropsErrorCode = 'LB_PROPS_INVALID' | 'LB_CONFIG_INVALID' | 'LB_BUNDLE_MISSING';

/**
 * A prop the constructs cannot turn into working manifests. Thrown at construction, so `cdk8s synth` fails early.
 * The message is `<code>: <construct path>: <what> is invalid (got <value>); fix: <what to do>`.
 */
export class PropsError extends Error {
  constructor(
    /** Stable code. */
    readonly code: PropsErrorCode,
    /** Path of the construct whose props are wrong. */
    readonly path: string,
    detail: string,
  ) {
    super(`${code}: ${path}: ${detail}`);
    this.name = 'PropsError';
  }
}
