// Internal view of a set of manifests: defensive accessors (objects may fail the schema and still get
// every other check), the pod templates inside workloads, and label-selector matching.
import { ManifestProblem, ProblemCode, ProblemRule } from './problem';

export type Rec = Readonly<Record<string, unknown>>;

export function asRec(v: unknown): Rec | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined;
}
export function asArr(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}
export function asStr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
export function asStrMap(v: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asRec(v) ?? {})) {
    if (typeof val === 'string') out[k] = val;
  }
  return out;
}
/** Reads a dotted path of plain keys. */
export function dig(v: unknown, ...keys: string[]): unknown {
  let cur = v;
  for (const k of keys) cur = asRec(cur)?.[k];
  return cur;
}

/** One object of the set, with the identity fields read once. */
export interface Manifest {
  readonly index: number;
  readonly raw: Rec;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Resolved namespace: metadata.namespace, or the default namespace. */
  readonly namespace: string;
  /** `Kind namespace/name`, used in every problem. */
  readonly label: string;
}

export function toManifest(raw: Rec, index: number, defaultNamespace: string): Manifest {
  const apiVersion = asStr(raw.apiVersion) ?? '';
  const kind = asStr(raw.kind) ?? '';
  const name = asStr(dig(raw, 'metadata', 'name')) ?? '';
  const namespace = asStr(dig(raw, 'metadata', 'namespace')) ?? defaultNamespace;
  const label = `${kind || 'Object'} ${name ? `${namespace}/${name}` : `#${index}`}`;
  return { index, raw, apiVersion, kind, name, namespace, label };
}

/** Builds problems for one object with its rule family fixed. */
export function reporter(out: ManifestProblem[], rule: ProblemRule) {
  return (m: Manifest | string, code: ProblemCode, path: string, message: string, value?: unknown): void => {
    const object = typeof m === 'string' ? m : m.label;
    out.push(value === undefined ? { rule, code, object, path, message } : { rule, code, object, path, value, message });
  };
}
export type Report = ReturnType<typeof reporter>;

/** A pod spec found in an object: a bare Pod's spec or a workload's template. */
export interface PodTemplate {
  readonly owner: Manifest;
  /** Path of the pod spec, e.g. `spec.template.spec`. */
  readonly specPath: string;
  readonly spec: Rec;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  PodTemplate: ['template'],
  Deployment: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** Kinds whose `spec.selector` must select their own pod template. */
export const SELECTING_WORKLOADS: ReadonlySet<string> = new Set([
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
]);

export function podTemplateOf(m: Manifest): PodTemplate | undefined {
  const keys = TEMPLATE_PATHS[m.kind];
  if (keys === undefined) return undefined;
  const template = asRec(dig(m.raw, ...keys));
  const spec = asRec(template?.spec);
  if (template === undefined || spec === undefined) return undefined;
  return {
    owner: m,
    specPath: [...keys, 'spec'].join('.'),
    spec,
    labels: asStrMap(dig(template, 'metadata', 'labels')),
    annotations: asStrMap(dig(template, 'metadata', 'annotations')),
  };
}

/** The containers of a pod spec with their paths; `ephemeralContainers` are included for the security checks. */
export interface ContainerAt {
  readonly path: string;
  readonly c: Rec;
  readonly name: string;
}
export function containersOf(t: PodTemplate, withEphemeral = true): ContainerAt[] {
  const lists = withEphemeral ? ['initContainers', 'containers', 'ephemeralContainers'] : ['initContainers', 'containers'];
  const out: ContainerAt[] = [];
  for (const list of lists) {
    asArr(t.spec[list]).forEach((raw, i) => {
      const c = asRec(raw);
      if (c !== undefined) out.push({ path: `${t.specPath}.${list}[${i}]`, c, name: asStr(c.name) ?? `#${i}` });
    });
  }
  return out;
}

/**
 * Matches a metav1.LabelSelector (matchLabels + matchExpressions) or, when `plainMap` is set, a Service-style map.
 * An empty selector matches everything, as in Kubernetes.
 */
export function selectorMatches(selector: unknown, labels: Readonly<Record<string, string>>, plainMap = false): boolean {
  const sel = asRec(selector);
  if (sel === undefined) return false;
  const matchLabels = plainMap ? asStrMap(sel) : asStrMap(sel.matchLabels);
  for (const [k, v] of Object.entries(matchLabels)) {
    if (labels[k] !== v) return false;
  }
  if (plainMap) return true;
  return asArr(sel.matchExpressions).every((raw) => expressionMatches(asRec(raw), labels));
}

function expressionMatches(expr: Rec | undefined, labels: Readonly<Record<string, string>>): boolean {
  const key = asStr(expr?.key) ?? '';
  const values = asArr(expr?.values).filter((v): v is string => typeof v === 'string');
  const has = Object.prototype.hasOwnProperty.call(labels, key);
  switch (expr?.operator) {
    case 'In':
      return has && values.includes(labels[key] ?? '');
    case 'NotIn':
      return !has || !values.includes(labels[key] ?? '');
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

export function isEmptySelector(selector: unknown): boolean {
  const sel = asRec(selector);
  return (
    sel === undefined ||
    (Object.keys(asRec(sel.matchLabels) ?? {}).length === 0 && asArr(sel.matchExpressions).length === 0)
  );
}

/** `a.b[0].c` from ajv's `/a/b/0/c`. */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc === '' ? seg : `${acc}.${seg}`), '');
}

/** Appends a map key to a path, quoting keys that are not plain identifiers (label keys, annotation keys). */
export function keyPath(base: string, key: string): string {
  const seg = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return base === '' ? seg : seg.startsWith('[') ? `${base}${seg}` : `${base}.${seg}`;
}
