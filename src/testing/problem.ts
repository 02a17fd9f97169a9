/** Which family of rules a problem comes from. */
export type ProblemRule = 'schema' | 'api-server' | 'apply-size' | 'semantic' | 'rbac' | 'pod-security' | 'hardening' | 'secret-hygiene';

/**
 * Stable codes, one per rule. Tests and `options.ignore` match on these, never on message text.
 */
export type ProblemCode =
  // schema
  | 'NOT_AN_OBJECT'
  | 'UNKNOWN_KIND'
  | 'SCHEMA_INVALID'
  | 'SCHEMA_UNKNOWN_FIELD'
  | 'NAME_INVALID'
  // rules the API server checks in code (pkg/apis/core/validation), beyond the OpenAPI schema
  | 'SERVICE_PORT_INVALID'
  | 'SERVICE_NODE_PORT_RANGE'
  | 'SERVICE_FIELD_FORBIDDEN'
  | 'SESSION_AFFINITY_INVALID'
  | 'CONTAINER_PORT_INVALID'
  | 'SELECTOR_VOLATILE_LABEL'
  | 'WORKLOAD_INVALID'
  | 'PDB_INVALID'
  | 'HPA_INVALID'
  | 'INGRESS_INVALID'
  | 'SECRET_INVALID'
  // what `kubectl apply` and the API server can store
  | 'LAST_APPLIED_TOO_LARGE'
  | 'ANNOTATIONS_TOO_LARGE'
  | 'DATA_TOO_LARGE'
  // semantic
  | 'DUPLICATE_OBJECT'
  | 'SELECTOR_EMPTY'
  | 'SELECTOR_MISMATCH'
  | 'SERVICE_SELECTS_NOTHING'
  | 'SERVICE_TARGET_PORT_MISSING'
  | 'STATEFULSET_SERVICE_NOT_HEADLESS'
  | 'PDB_SELECTS_NOTHING'
  | 'HPA_TARGET_MISSING'
  | 'HPA_TARGET_SETS_REPLICAS'
  | 'REFERENCE_MISSING'
  | 'REFERENCE_KEY_MISSING'
  | 'VOLUME_MOUNT_UNDEFINED'
  | 'NETWORK_POLICY_SELECTS_NOTHING'
  | 'INGRESS_BACKEND_MISSING'
  // Pod Security Standards, restricted profile (v1.27)
  | 'PSS_HOST_PROCESS'
  | 'PSS_HOST_NAMESPACE'
  | 'PSS_PRIVILEGED'
  | 'PSS_HOST_PORT'
  | 'PSS_APPARMOR'
  | 'PSS_SELINUX'
  | 'PSS_PROC_MOUNT'
  | 'PSS_SYSCTL'
  | 'PSS_VOLUME_TYPE'
  | 'PSS_PRIVILEGE_ESCALATION'
  | 'PSS_RUN_AS_NON_ROOT'
  | 'PSS_RUN_AS_USER'
  | 'PSS_SECCOMP'
  | 'PSS_CAPABILITIES'
  // hardening beyond PSS
  | 'HARDEN_READ_ONLY_ROOT_FS'
  | 'HARDEN_IMAGE_NOT_PINNED'
  | 'HARDEN_RESOURCE_REQUESTS'
  // secret hygiene
  | 'SECRET_VALUE_EXPOSED'
  // least privilege of the proxy's own RBAC
  | 'RBAC_TOO_BROAD';

/** One thing wrong with one object in a set of manifests. */
export interface ManifestProblem {
  readonly rule: ProblemRule;
  readonly code: ProblemCode;
  /** The object, as `Kind namespace/name` (or `Kind name` when cluster-scoped, or `#index` when it has no name). */
  readonly object: string;
  /** Dotted field path inside the object, e.g. `spec.template.spec.containers[0].image`; empty for the whole object. */
  readonly path: string;
  /** The offending value, when there is one. Secret values are never echoed: hygiene problems carry a mask. */
  readonly value?: unknown;
  /** What is wrong and what to do about it. */
  readonly message: string;
}

/** One line per problem: `[CODE] Kind ns/name path = value: message`. */
export function formatProblem(p: ManifestProblem): string {
  const where = p.path === '' ? p.object : `${p.object} ${p.path}`;
  const value = p.value === undefined ? '' : ` = ${renderValue(p.value)}`;
  return `[${p.code}] ${where}${value}: ${p.message}`;
}

function renderValue(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Thrown by `assertValidManifests`; its message lists every problem, one per line. */
export class ManifestValidationError extends Error {
  /** Stable error code. */
  public readonly code = 'MANIFESTS_INVALID';

  constructor(public readonly problems: readonly ManifestProblem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the manifests:\n` +
        problems.map((p) => `  ${formatProblem(p)}`).join('\n'),
    );
    this.name = 'ManifestValidationError';
  }
}
