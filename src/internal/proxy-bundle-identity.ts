/**
 * How the proxy bundle's ConfigMap is recognised, in one module for both sides: the constructs write it, and the
 * snapshot helper of `cdk8s-balancer/testing` finds it to replace the bundle with a placeholder.
 *
 * Internal: not part of any entry point.
 */

/** The ConfigMap key (and file name) of the loader the proxy container runs: `node <dir>/proxy.js`. */
export const BUNDLE_KEY = 'proxy.js';

/** The ConfigMap `binaryData` key (and file name) of the brotli-compressed bundle, next to the loader. */
export const COMPRESSED_BUNDLE_KEY = 'proxy.js.br';

/** Prefix of the bundle ConfigMap's name; the first 10 hex digits of the bundle's sha256 follow. */
export const BUNDLE_CONFIGMAP_PREFIX = 'cdk8s-balancer-proxy';

/** The labels on every bundle ConfigMap (and on no other object). */
export const BUNDLE_CONFIGMAP_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'cdk8s-balancer-proxy',
  'app.kubernetes.io/managed-by': 'cdk8s-balancer',
};
