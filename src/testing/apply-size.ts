// What `kubectl apply` and the API server can store. A client-side apply (also Argo CD's and Flux's default sync)
// copies the whole object into the `kubectl.kubernetes.io/last-applied-configuration` annotation, and the API server
// refuses annotations of more than 256 KiB in total (apimachinery ValidateAnnotationsSize; kubectl#712). A ConfigMap's
// or a Secret's data may hold at most 1 MiB (core.MaxSecretSize).
import { asRec, Manifest, Rec, Report } from './manifest';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** apimachinery's TotalAnnotationSizeLimitB: the sum of len(key) + len(value) over all annotations. */
export const ANNOTATIONS_LIMIT_BYTES = 256 * 1024;
/** core.MaxSecretSize, which also bounds a ConfigMap's data plus binaryData. */
export const DATA_LIMIT_BYTES = 1024 * 1024;

/** Kinds without a namespace, which kubectl does not give one. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'PriorityClass',
  'CustomResourceDefinition', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'IngressClass', 'RuntimeClass',
]);

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Go's encoding/json: map keys sorted, compact, and `<`, `>`, `&`, U+2028 and U+2029 escaped. */
function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  const rec = asRec(value);
  if (rec === undefined) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(rec).sort()) out[key] = sortKeys(rec[key]);
  return out;
}

/**
 * The annotation value a client-side `kubectl apply` writes for `object`: the object without that annotation (kubectl
 * leaves an empty `annotations: {}` behind), with the namespace it applies to, encoded as Go does, plus a newline.
 */
export function lastAppliedConfiguration(object: unknown, namespace?: string): string {
  const raw = asRec(object) ?? {};
  const metadata: Record<string, unknown> = { ...(asRec(raw.metadata) ?? {}) };
  const annotations: Record<string, unknown> = { ...(asRec(metadata.annotations) ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  metadata.annotations = annotations;
  if (namespace !== undefined && metadata.namespace === undefined) metadata.namespace = namespace;
  return `${goJson({ ...raw, metadata })}\n`;
}

/** Reports annotations over the limit, as written and once a client-side apply has added its own. */
export function checkApplySize(m: Manifest, report: Report): void {
  const annotations = asRec(asRec(m.raw.metadata)?.annotations) ?? {};
  let own = 0;
  for (const [key, value] of Object.entries(annotations)) {
    if (key !== LAST_APPLIED_ANNOTATION && typeof value === 'string') own += bytes(key) + bytes(value);
  }
  if (own > ANNOTATIONS_LIMIT_BYTES) {
    report(m, 'ANNOTATIONS_TOO_LARGE', 'metadata.annotations', `total ${own} bytes, over the API server's ${ANNOTATIONS_LIMIT_BYTES}-byte limit; move large values into a ConfigMap`, own);
  }
  const namespace = CLUSTER_SCOPED.has(m.kind) ? undefined : m.namespace;
  const applied = own + bytes(LAST_APPLIED_ANNOTATION) + bytes(lastAppliedConfiguration(m.raw, namespace));
  if (applied > ANNOTATIONS_LIMIT_BYTES) {
    report(
      m,
      'LAST_APPLIED_TOO_LARGE',
      'metadata.annotations',
      `after a client-side kubectl apply (or an Argo CD or Flux default sync), which copies the object into ${LAST_APPLIED_ANNOTATION}, the annotations would total ${applied} bytes, over the API server's ${ANNOTATIONS_LIMIT_BYTES}-byte limit; fix: deploy with \`kubectl apply --server-side\` (Argo CD: ServerSideApply=true; Flux applies server-side already), or shrink the object (compress large data into binaryData)`,
    );
  }
  if (m.kind === 'ConfigMap' || m.kind === 'Secret') checkDataSize(m, report);
}

function checkDataSize(m: Manifest, report: Report): void {
  const total = m.kind === 'Secret' ? secretBytes(m.raw) : configMapBytes(m.raw);
  if (total > DATA_LIMIT_BYTES) {
    report(m, 'DATA_TOO_LARGE', 'data', `the ${m.kind}'s data holds ${total} bytes, over the ${DATA_LIMIT_BYTES}-byte (1 MiB) limit; split it, compress it, or ship it another way (an image, a volume)`, total);
  }
}

function configMapBytes(raw: Rec): number {
  let total = 0;
  for (const v of Object.values(asRec(raw.data) ?? {})) if (typeof v === 'string') total += bytes(v);
  for (const v of Object.values(asRec(raw.binaryData) ?? {})) if (typeof v === 'string') total += Buffer.from(v, 'base64').length;
  return total;
}

/** stringData is merged into data (and wins) before the API server counts the decoded bytes. */
function secretBytes(raw: Rec): number {
  const sizes = new Map<string, number>();
  for (const [k, v] of Object.entries(asRec(raw.data) ?? {})) if (typeof v === 'string') sizes.set(k, Buffer.from(v, 'base64').length);
  for (const [k, v] of Object.entries(asRec(raw.stringData) ?? {})) if (typeof v === 'string') sizes.set(k, bytes(v));
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}
