/**
 * Label and annotation keys: a contract with the cluster (selectors, NetworkPolicies), so change them only with care.
 */

export const LABELS = {
  /** The app's name, on every pod of the app, its gateway and its jobs. */
  name: 'app.kubernetes.io/name',
  /** `app`, `gateway`, `migration` or `smoke-test`. */
  component: 'app.kubernetes.io/component',
  /** The subset an app pod belongs to. */
  subset: 'cdk8s-balancer/subset',
  /** Pod-template annotation: a hash of what the pod runs on (config, secret hashes, bundle). */
  checksum: 'cdk8s-balancer/checksum',
} as const;

/**
 * Pod label that lets a pod through the app's NetworkPolicy: the gateway, sidecar consumers and the smoke test.
 * One key per app, so one consumer pod can use several apps.
 */
export function accessLabel(appName: string): string {
  return `cdk8s-balancer/access-${appName}`;
}

/** Pod-template annotation with the checksum of one app's sidecar in a consumer pod. */
export function consumerChecksumAnnotation(appName: string): string {
  return `${LABELS.checksum}-${appName}`;
}

/** What a pod of ours is: the app's, the gateway's, or a Job's. */
export type Component = 'app' | 'gateway' | 'migration' | 'smoke-test';

/** The labels that select the pods of one component of one app. */
export function componentLabels(appName: string, component: Component): Record<string, string> {
  return { [LABELS.name]: appName, [LABELS.component]: component };
}

/** The labels that select the pods of one subset of an app. */
export function subsetLabels(appName: string, subset: string): Record<string, string> {
  return { ...componentLabels(appName, 'app'), [LABELS.subset]: subset };
}
