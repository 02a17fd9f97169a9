import { checkApiServerRules } from './api-rules';
import { checkApplySize } from './apply-size';
import { checkProxyRbac } from './rbac';
import { asRec, Manifest, reporter, toManifest } from './manifest';
import { checkHardening, checkPodSecurity } from './pod-security';
import { ManifestProblem, ManifestValidationError, ProblemCode } from './problem';
import { checkNames, checkSchema, modelFor } from './schema';
import { checkSecretHygiene } from './secrets';
import { checkSemantics, ExternalReferences, ManifestSet } from './semantic';
import { checkNewerFields, SERVED_IN_1_27 } from './versions';

export interface ValidateManifestsOptions {
  /**
   * Objects that exist outside the set (made by another chart or by hand), so references to them are fine.
   * @default - none: every referenced ConfigMap, Secret, ServiceAccount and PVC must be in the set
   */
  readonly external?: ExternalReferences;
  /**
   * Kinds without a Kubernetes 1.27 schema that are allowed, as `Kind` or `apiVersion/Kind`
   * (e.g. `monitoring.coreos.com/v1/ServiceMonitor`). They skip the schema check.
   * @default - none: an unknown apiVersion/kind is a problem
   */
  readonly allowKinds?: readonly string[];
  /**
   * Report fields the 1.27 schema does not define, as the API server does under strict field validation.
   * @default true
   */
  readonly unknownFields?: boolean;
  /**
   * Check the Pod Security Standards "restricted" profile (v1.27).
   * @default true
   */
  readonly podSecurity?: boolean;
  /**
   * Check the hardening rules beyond PSS: readOnlyRootFilesystem, pinned images, resource requests.
   * @default true
   */
  readonly hardening?: boolean;
  /**
   * Check that no Secret value appears in plain text in another object.
   * @default true
   */
  readonly secretHygiene?: boolean;
  /**
   * Problem codes to drop from the result.
   * @default - none
   */
  readonly ignore?: readonly ProblemCode[];
  /**
   * Namespace of objects that set no metadata.namespace (where `kubectl apply` would put them).
   * @default 'default'
   */
  readonly defaultNamespace?: string;
}

/**
 * Validates a set of Kubernetes objects (for example `Testing.synth(chart)`) against the Kubernetes 1.27 schema,
 * the rules the API server checks in code (Service ports and types, session affinity, container ports, name lengths
 * per kind, immutable selectors), what a client-side `kubectl apply` can store (the last-applied annotation, 1 MiB of
 * data), cross-object semantics, the Pod Security "restricted" profile, the project's hardening rules and secret
 * hygiene. Returns every problem found, in object order; an empty array means the set is valid.
 */
export function validateManifests(objects: readonly unknown[], options: ValidateManifestsOptions = {}): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const schema = reporter(problems, 'schema');
  const apiServer = reporter(problems, 'api-server');
  const applySize = reporter(problems, 'apply-size');
  const manifests: Manifest[] = [];
  objects.forEach((raw, index) => {
    const rec = asRec(raw);
    if (rec === undefined) {
      schema(`#${index}`, 'NOT_AN_OBJECT', '', 'every manifest must be a JSON object', raw);
      return;
    }
    const m = toManifest(rec, index, options.defaultNamespace ?? 'default');
    manifests.push(m);
    const known = modelFor(m.apiVersion, m.kind) !== undefined;
    if (known && SERVED_IN_1_27.has(m.apiVersion)) {
      checkSchema(m, schema, options.unknownFields ?? true);
      if (options.unknownFields ?? true) checkNewerFields(m, schema);
    } else if (!isAllowedKind(m, options.allowKinds ?? [])) {
      const why = known ? 'is not served by Kubernetes 1.27 (removed, or not yet added); use the current apiVersion' : 'is not a Kubernetes 1.27 kind; list it in options.allowKinds if a CRD provides it';
      schema(m, 'UNKNOWN_KIND', 'kind', `${m.apiVersion}/${m.kind} ${why}`, `${m.apiVersion}/${m.kind}`);
    }
    checkNames(m, schema);
    checkApiServerRules(m, apiServer);
    checkApplySize(m, applySize);
  });

  const set = new ManifestSet(manifests);
  checkSemantics(set, options.external ?? {}, reporter(problems, 'semantic'));
  checkProxyRbac(manifests, reporter(problems, 'rbac'));
  const pss = reporter(problems, 'pod-security');
  const hardening = reporter(problems, 'hardening');
  for (const t of set.templates) {
    if (options.podSecurity ?? true) checkPodSecurity(t, pss);
    if (options.hardening ?? true) checkHardening(t, hardening);
  }
  if (options.secretHygiene ?? true) checkSecretHygiene(manifests, reporter(problems, 'secret-hygiene'));

  const ignore = new Set(options.ignore ?? []);
  const order = new Map(manifests.map((m) => [m.label, m.index]));
  return problems
    .filter((p) => !ignore.has(p.code))
    .map((p, i) => ({ p, i, at: order.get(p.object) ?? Number(p.object.slice(1)) }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map(({ p }) => p);
}

/**
 * Throws a `ManifestValidationError` that lists every problem, one per line, when `validateManifests` finds any.
 * Use it in snapshot tests: `assertValidManifests(Testing.synth(chart))`.
 */
export function assertValidManifests(objects: readonly unknown[], options: ValidateManifestsOptions = {}): void {
  const problems = validateManifests(objects, options);
  if (problems.length > 0) throw new ManifestValidationError(problems);
}

function isAllowedKind(m: Manifest, allowKinds: readonly string[]): boolean {
  return allowKinds.includes(m.kind) || allowKinds.includes(`${m.apiVersion}/${m.kind}`);
}
