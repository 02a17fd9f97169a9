/**
 * Snapshot tests that show manifest changes, not the proxy bundle.
 *
 * The bundle ConfigMap holds the whole proxy (about 90 KiB of brotli-compressed JS, 120 KiB as base64, in
 * `binaryData`). Stored as is, it buries the manifests in a user's snapshot file and rewrites it on every library
 * upgrade. These helpers replace only that one value with a one-line placeholder naming the compressed bundle's size
 * and sha256; every other field stays exactly as synthesized (the small loader beside it included).
 *
 * What still changes when only the bundle changes, on purpose (a proxy upgrade must roll the pods that run it, and
 * a reviewer should see that it does):
 * - the bundle ConfigMap's `metadata.name` (`cdk8s-balancer-proxy-<first 10 hex of the sha256>`) and its placeholder;
 * - in each pod template that mounts the bundle, the volume's `configMap.name`;
 * - in each pod template that runs the proxy, the checksum annotation (`cdk8s-balancer/checksum` on a gateway and on
 *   the smoke-test Job, `cdk8s-balancer/checksum-<app>` on a consumer with a sidecar);
 * - the smoke-test Job's name (`<app>-smoke-<hash>`), which follows its checksum so that a new bundle is tested again.
 */
import { createHash } from 'node:crypto';
import type { Chart } from 'cdk8s';
import { BUNDLE_CONFIGMAP_LABELS, COMPRESSED_BUNDLE_KEY } from '../internal/proxy-bundle-identity';
import { asRec, asStrMap, Rec } from './manifest';

/**
 * Synthesizes `chart` (as `Testing.synth(chart)` does) for a snapshot: the proxy bundle in its ConfigMap is replaced
 * by a one-line placeholder naming its size and sha256, and everything else is left as synthesized. A new bundle
 * shows as a few changed lines: the placeholder, the hashed ConfigMap name, the volumes that mount it, the pods'
 * checksum annotations and the smoke-test Job's name.
 *
 * @example
 * expect(synthForSnapshot(chart)).toMatchSnapshot();
 */
export function synthForSnapshot(chart: Chart): unknown[] {
  return manifestsForSnapshot(chart.toJson());
}

/**
 * The same as {@link synthForSnapshot} for manifests you already have (for example the ones you validated): returns
 * a new array in which the proxy bundle ConfigMaps are copies with the placeholder; the other objects are the same
 * objects, and the input is not changed.
 */
export function manifestsForSnapshot(manifests: readonly unknown[]): unknown[] {
  return manifests.map((m) => {
    const rec = asRec(m);
    return rec !== undefined && isBundleConfigMap(rec) ? withPlaceholder(rec) : m;
  });
}

/**
 * The placeholder that stands for a bundle in a snapshot.
 * @param bundle the `binaryData` value: the compressed bundle, base64-encoded
 */
export function bundlePlaceholder(bundle: string): string {
  const bytes = Buffer.from(bundle, 'base64');
  const hash = createHash('sha256').update(bytes).digest('hex');
  // Base64 decoding forgives stray characters; a value that is not the canonical encoding of its bytes says so, so
  // that no edit of the stored text can hide behind an unchanged hash.
  const canonical = bytes.toString('base64') === bundle ? '' : ', not canonical base64';
  return `<proxy bundle: ${bytes.length} bytes brotli, sha256 ${hash}${canonical}>`;
}

function isBundleConfigMap(m: Rec): boolean {
  if (m.apiVersion !== 'v1' || m.kind !== 'ConfigMap') return false;
  const labels = asStrMap(asRec(m.metadata)?.labels);
  if (!Object.entries(BUNDLE_CONFIGMAP_LABELS).every(([k, v]) => labels[k] === v)) return false;
  return typeof asRec(m.binaryData)?.[COMPRESSED_BUNDLE_KEY] === 'string';
}

function withPlaceholder(m: Rec): Rec {
  const binaryData = asRec(m.binaryData) ?? {};
  return { ...m, binaryData: { ...binaryData, [COMPRESSED_BUNDLE_KEY]: bundlePlaceholder(binaryData[COMPRESSED_BUNDLE_KEY] as string) } };
}
