/**
 * How the proxy finds the pods of each subset, chosen in code like the algorithm. `bind` turns the choice into the
 * config's discovery source for one subset, and creates the Kubernetes objects the choice needs.
 */
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { DiscoverySourceInput } from '../config';
import type { AppSubset } from './app-subset';

/** What {@link Discovery.bind} gives one subset. */
export interface DiscoveryBinding {
  /** The subset's source in the proxy config's `upstream.sources`. */
  readonly source: DiscoverySourceInput;
  /**
   * The ServiceAccount pods running the proxy use, when discovery reads the Kubernetes API. Set only by `bind`, and
   * the only thing that makes those pods mount a ServiceAccount token.
   * @default - none: no token is mounted
   */
  readonly serviceAccount?: kplus.IServiceAccount;
}

/** How the proxy discovers endpoints. Create one through a static factory. */
export class Discovery {
  /**
   * The DNS of each subset's headless Service: one A/AAAA record per ready pod, re-resolved at min(TTL, interval).
   * Needs no Kubernetes API access, so no token is mounted.
   */
  public static dns(): Discovery {
    return new Discovery('dns');
  }

  private constructor(
    /** The kind of source, as the config names it; `endpoint-slices` comes next. */
    public readonly kind: 'dns',
  ) {}

  /**
   * The config source for `subset`, and the objects it needs, created under `scope`.
   * The weight is left out when the subset sets none, so the config's default applies.
   */
  public bind(_scope: Construct, subset: AppSubset): DiscoveryBinding {
    switch (this.kind) {
      case 'dns':
        return { source: { kind: 'dns', subset: subset.name, hostname: subset.headlessServiceHost, weight: subset.weight } };
    }
  }
}
