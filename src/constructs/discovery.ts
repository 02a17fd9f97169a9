/**
 * How the proxy finds the pods of each subset, chosen in code like the algorithm. `bind` turns the choice into the
 * config's discovery source for one subset, and creates the Kubernetes objects the choice needs.
 */
import { ApiObject } from 'cdk8s';
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
   * Needs no Kubernetes API access, so no token is mounted. A removed pod may get new requests until the next
   * look-up (up to 5 s), and a pod that is terminating cannot be told from a dead one.
   */
  public static dns(): Discovery {
    return new Discovery('dns');
  }

  /**
   * A watch of each subset's EndpointSlices on the Kubernetes API: a removed pod leaves the pool within
   * milliseconds, a pod that terminates while serving finishes its requests and gets new ones only when nothing else
   * is ready, and a down API server leaves the last good set serving. It creates a ServiceAccount for the proxy pods
   * and a Role that grants exactly get, list and watch on endpointslices in the app's namespace, bound to it; only the
   * pods that run the proxy mount its token.
   */
  public static endpointSlices(): Discovery {
    return new Discovery('endpoint-slices');
  }

  private constructor(
    /** The kind of source, as the config names it. */
    public readonly kind: 'dns' | 'endpoint-slices',
  ) {}

  /**
   * The config source for `subset`, and the objects it needs, created under `scope`.
   * The weight is left out when the subset sets none, so the config's default applies.
   */
  public bind(scope: Construct, subset: AppSubset): DiscoveryBinding {
    switch (this.kind) {
      case 'dns':
        return { source: { kind: 'dns', subset: subset.name, hostname: subset.headlessServiceHost, weight: subset.weight } };
      case 'endpoint-slices': {
        const app = subset.appProps;
        return {
          source: {
            kind: 'endpoint-slices',
            subset: subset.name,
            service: subset.headlessService.name,
            namespace: app.dnsNamespace,
            portName: app.balancedPort.name,
            weight: subset.weight,
          },
          serviceAccount: sliceReader((scope.node.scope as Construct | undefined) ?? scope, app.name, app.objectNamespace),
        };
      }
    }
  }
}

/** The app's ServiceAccount allowed to read EndpointSlices, with its Role and RoleBinding: made once per app. */
function sliceReader(app: Construct, name: string, namespace: string | undefined): kplus.IServiceAccount {
  const known = app.node.tryFindChild('DiscoveryServiceAccount') as kplus.ServiceAccount | undefined;
  if (known) return known;
  const metadata = { name: `${name}-lb-discovery`, namespace, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-balancer' } };
  const account = new kplus.ServiceAccount(app, 'DiscoveryServiceAccount', { metadata, automountToken: false });
  // Plain objects rather than kplus.Role, so that the rule is exactly this one and nothing is added to it.
  new ApiObject(app, 'DiscoveryRole', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata,
    rules: [{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }],
  });
  new ApiObject(app, 'DiscoveryRoleBinding', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: metadata.name },
    // No subject namespace: in a RoleBinding it defaults to the binding's own, wherever `kubectl apply -n` puts it.
    subjects: [{ kind: 'ServiceAccount', name: metadata.name }],
  });
  return account;
}
