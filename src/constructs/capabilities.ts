/**
 * Linux capabilities that cdk8s-plus-27's `Capability` enum lacks, typed so that no cast is needed.
 */
import type * as kplus from 'cdk8s-plus-27';

/** Capability values for `securityContext.capabilities` of cdk8s-plus containers. */
export class Capabilities {
  /**
   * Every capability: what Pod Security "restricted" requires a container to drop,
   * e.g. `securityContext: { capabilities: { drop: [Capabilities.ALL] } }`.
   */
  public static readonly ALL = 'ALL' as kplus.Capability;

  private constructor() {}
}
