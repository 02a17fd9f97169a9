// Schema rules: each object against the OpenAPI schema compiled into kubernetes-models 4.5.1 (narrowed to what
// Kubernetes 1.27 serves and accepts in versions.ts), plus the two things that schema cannot say: unknown fields (the API server rejects them under kubectl's
// default strict field validation) and the name formats the API server checks in code.
import {
  configMapKeyProblem, dns1035LabelProblem, dns1123LabelProblem, dns1123SubdomainProblem, labelKeyProblem, labelValueProblem, portNameProblem,
} from '../internal/k8s-names';
import { asArr, asRec, asStrMap, containersOf, keyPath, Manifest, podTemplateOf, pointerToPath, Rec, Report } from './manifest';

interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  readonly prototype: { validate(this: unknown): void };
}
interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Readonly<Record<string, unknown>>;
}

const API_VERSION = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v\d+((alpha|beta)\d+)?$/;
const groupCache = new Map<string, Readonly<Record<string, unknown>> | null>();

/** The kubernetes-models class for apiVersion + kind, or undefined when the 1.27 API has no such kind. */
export function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  if (!API_VERSION.test(apiVersion)) return undefined;
  let group = groupCache.get(apiVersion);
  if (group === undefined) {
    try {
      group = require(`kubernetes-models/${apiVersion}`) as Readonly<Record<string, unknown>>;
    } catch {
      assertModelsInstalled(); // an unknown group-version is fine; a missing package is a broken install
      group = null;
    }
    groupCache.set(apiVersion, group);
  }
  const candidate: unknown = group?.[kind];
  if (typeof candidate !== 'function') return undefined;
  const model = candidate as unknown as ModelClass;
  return model.kind === kind && model.apiVersion === apiVersion ? model : undefined;
}

function assertModelsInstalled(): void {
  try {
    require('kubernetes-models/v1');
  } catch (e) {
    throw new Error(`kubernetes-models 4.5.1 is needed to validate manifests and could not be loaded: ${String(e)}`);
  }
}

export function checkSchema(m: Manifest, report: Report, unknownFields: boolean): void {
  const model = modelFor(m.apiVersion, m.kind);
  if (model === undefined) return; // the caller reports UNKNOWN_KIND, or allowed it
  const reads = new Map<string, Set<string>>();
  const target = unknownFields ? track(m.raw, '', reads) : m.raw;
  try {
    model.prototype.validate.call(target);
  } catch (e) {
    const errors = (e as { errors?: readonly AjvError[] }).errors ?? [];
    if (errors.length === 0) report(m, 'SCHEMA_INVALID', '', `schema validation failed: ${String(e)}`);
    for (const err of dedupe(errors)) reportAjvError(m, err, report);
  }
  if (unknownFields) reportUnread(m, m.raw, '', reads, report);
}

// IntOrString fields fail both branches of their anyOf and then the anyOf itself; one line is enough.
function dedupe(errors: readonly AjvError[]): AjvError[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath));
  return errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf' || !anyOfPaths.has(e.instancePath));
}

function reportAjvError(m: Manifest, err: AjvError, report: Report): void {
  const path = pointerToPath(err.instancePath);
  if (err.keyword === 'required') {
    const missing = String(err.params.missingProperty);
    report(m, 'SCHEMA_INVALID', path === '' ? missing : `${path}.${missing}`, 'is required by the 1.27 schema');
    return;
  }
  const value = valueAt(m.raw, err.instancePath);
  const detail =
    err.keyword === 'enum'
      ? `must be one of ${JSON.stringify(err.params.allowedValues)}`
      : err.keyword === 'anyOf' || err.keyword === 'oneOf'
        ? 'must be an integer or a string'
        : (err.message ?? err.keyword);
  report(m, 'SCHEMA_INVALID', path, detail, value);
}

function valueAt(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const seg of pointer.split('/').slice(1)) {
    cur = Array.isArray(cur) ? cur[Number(seg)] : asRec(cur)?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

// The compiled validator reads every property its schema declares (even absent ones) and never reads the
// others, so an own key nobody read is unknown to the schema. Objects the validator never looked into
// (free-form fields such as RawExtension) are left alone.
function track(v: unknown, path: string, reads: Map<string, Set<string>>): unknown {
  if (v === null || typeof v !== 'object') return v;
  return new Proxy(v, {
    get(t, key, receiver) {
      const value: unknown = Reflect.get(t, key, receiver);
      if (typeof key !== 'string') return value;
      let seen = reads.get(path);
      if (seen === undefined) reads.set(path, (seen = new Set()));
      seen.add(key);
      return track(value, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, reads);
    },
  });
}

function reportUnread(m: Manifest, v: unknown, pointer: string, reads: Map<string, Set<string>>, report: Report): void {
  if (v === null || typeof v !== 'object') return;
  const seen = reads.get(pointer);
  if (seen === undefined) return;
  for (const key of Object.keys(v)) {
    const child = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!seen.has(key)) {
      report(m, 'SCHEMA_UNKNOWN_FIELD', pointerToPath(child), 'is not a field of the 1.27 schema (typo or wrong level?)');
    } else {
      reportUnread(m, (v as Rec)[key], child, reads, report);
    }
  }
}

const PATH_SEGMENT_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/** Name formats the API server enforces in code rather than in the OpenAPI schema. */
export function checkNames(m: Manifest, report: Report): void {
  const meta = asRec(m.raw.metadata);
  if (m.name === '') {
    if (typeof meta?.generateName !== 'string') report(m, 'NAME_INVALID', 'metadata.name', 'is required');
  } else {
    const problem = objectNameProblem(m.kind, m.name);
    if (problem !== undefined) report(m, 'NAME_INVALID', 'metadata.name', problem, m.name);
  }
  checkLabels(m, asStrMap(meta?.labels), 'metadata.labels', report);
  if (m.kind === 'ConfigMap' || m.kind === 'Secret') checkDataKeys(m, report);
  const t = podTemplateOf(m);
  if (t === undefined) return;
  if (t.specPath !== 'spec') checkLabels(m, t.labels, t.specPath.replace(/\.spec$/, '.metadata.labels'), report);
  for (const { path, c } of containersOf(t)) {
    const name = String(c.name ?? '');
    if (dns1123LabelProblem(name) !== undefined) {
      report(m, 'NAME_INVALID', `${path}.name`, 'must be a DNS-1123 label (lowercase alphanumerics and "-", at most 63)', name);
    }
    asArr(c.ports).forEach((p, i) => {
      const portName = asRec(p)?.name;
      if (typeof portName === 'string' && portNameProblem(portName) !== undefined) {
        report(m, 'NAME_INVALID', `${path}.ports[${i}].name`, 'must be an IANA service name: at most 15 lowercase alphanumerics or "-", with a letter', portName);
      }
    });
  }
}

/** ConfigMap and Secret data keys become file names and environment variables; the API server checks them in code. */
function checkDataKeys(m: Manifest, report: Report): void {
  for (const field of ['data', 'binaryData', 'stringData']) {
    for (const key of Object.keys(asRec(m.raw[field]) ?? {})) {
      if (configMapKeyProblem(key) !== undefined) {
        report(m, 'NAME_INVALID', keyPath(field, key), 'must be a valid data key: letters, digits, "-", "_" and ".", at most 253', key);
      }
    }
  }
}

function objectNameProblem(kind: string, name: string): string | undefined {
  if (PATH_SEGMENT_KINDS.has(kind)) {
    return /[/%]/.test(name) || name === '.' || name === '..' ? 'must not contain "/" or "%"' : undefined;
  }
  if (kind === 'Service') {
    return dns1035LabelProblem(name) === undefined
      ? undefined
      : 'must be a DNS-1035 label (start with a letter; lowercase alphanumerics and "-", at most 63)';
  }
  if (kind === 'Namespace') {
    return dns1123LabelProblem(name) === undefined ? undefined : 'must be a DNS-1123 label (at most 63)';
  }
  return dns1123SubdomainProblem(name) === undefined
    ? undefined
    : 'must be a DNS-1123 subdomain (lowercase alphanumerics, "-" and ".", at most 253)';
}

function checkLabels(m: Manifest, labels: Readonly<Record<string, string>>, base: string, report: Report): void {
  for (const [key, value] of Object.entries(labels)) {
    if (labelKeyProblem(key) !== undefined) report(m, 'NAME_INVALID', keyPath(base, key), 'is not a valid label key', key);
    if (labelValueProblem(value) !== undefined) {
      report(m, 'NAME_INVALID', keyPath(base, key), 'label value must be at most 63 alphanumerics, "-", "_" or ".", starting and ending alphanumeric', value);
    }
  }
}
