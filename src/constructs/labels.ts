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
