/**
 * What to do about each problem, worded for someone who holds the YAML and the CLI's flags. One entry per problem
 * code: the table is a `Record` over `ProblemCode`, so a new code does not compile until it has its fix, and its keys
 * are the list `--ignore` checks against.
 */
import type { ManifestProblem, ProblemCode } from '../testing/problem';

export const FIXES: Readonly<Record<ProblemCode, string>> = {
  NOT_AN_OBJECT: 'each YAML document must be one Kubernetes object (a mapping with apiVersion, kind and metadata)',
  UNKNOWN_KIND: 'use an apiVersion/kind served by Kubernetes 1.27; for a CRD, pass --allow-kind apiVersion/Kind',
  SCHEMA_INVALID: 'correct the field to the Kubernetes 1.27 schema (`kubectl explain <kind>.<field>` shows it)',
  SCHEMA_UNKNOWN_FIELD: 'remove the field or move it to the level where the 1.27 schema defines it (check its spelling)',
  NAME_INVALID: 'rename to the rule the message quotes (object names: lower-case letters, digits and "-"; label values: alphanumerics, "-", "_" and ".")',
  DUPLICATE_OBJECT: 'rename one of the two objects, or remove the copy (two files may hold the same object)',
  SELECTOR_EMPTY: 'set spec.selector.matchLabels to the pod template labels',
  SELECTOR_MISMATCH: 'make spec.selector match spec.template.metadata.labels',
  SERVICE_SELECTS_NOTHING: 'make spec.selector match the labels of a pod template in the same namespace',
  SERVICE_TARGET_PORT_MISSING: 'set targetPort to a containerPort (number or name) of the selected pods',
  STATEFULSET_SERVICE_NOT_HEADLESS: 'point spec.serviceName at a Service with clusterIP: None in the same namespace',
  PDB_SELECTS_NOTHING: 'make spec.selector match the labels of a pod template in the same namespace',
  HPA_TARGET_MISSING: 'point spec.scaleTargetRef at a workload in the same namespace',
  HPA_TARGET_SETS_REPLICAS: 'remove spec.replicas from the autoscaled workload: the HPA owns it',
  REFERENCE_MISSING: 'add the object, or, when it is created elsewhere, pass --external-secret/--external-config-map/--external-service-account/--external-pvc NAME',
  REFERENCE_KEY_MISSING: 'add the key to the referenced object, or mark the reference optional',
  VOLUME_MOUNT_UNDEFINED: 'add a volume of this name to the pod spec, or mount one that exists',
  NETWORK_POLICY_SELECTS_NOTHING: 'make the selector match the labels of a pod template in the same namespace',
  INGRESS_BACKEND_MISSING: 'point the backend at a Service of the same namespace and at one of its ports (number or name)',
  INGRESS_INVALID: 'correct the field to the rule the message quotes (hosts are DNS names, Prefix and Exact paths start with "/")',
  SECRET_INVALID: 'give a kubernetes.io/tls Secret both tls.crt and tls.key (`kubectl create secret tls NAME --cert --key` does)',
  PSS_HOST_PROCESS: 'remove windowsOptions.hostProcess',
  PSS_HOST_NAMESPACE: 'remove hostNetwork, hostPID and hostIPC',
  PSS_PRIVILEGED: 'remove securityContext.privileged',
  PSS_HOST_PORT: 'remove hostPort; expose the port through a Service',
  PSS_APPARMOR: 'set the AppArmor annotation to runtime/default, or remove it',
  PSS_SELINUX: 'remove seLinuxOptions.type or set it to container_t',
  PSS_PROC_MOUNT: 'remove securityContext.procMount',
  PSS_SYSCTL: 'remove the sysctl, or use one of the safe sysctls',
  PSS_VOLUME_TYPE: 'use configMap, secret, emptyDir, projected, downwardAPI, ephemeral or persistentVolumeClaim volumes',
  PSS_PRIVILEGE_ESCALATION: 'set securityContext.allowPrivilegeEscalation: false on the container',
  PSS_RUN_AS_NON_ROOT: 'set securityContext.runAsNonRoot: true on the pod or the container',
  PSS_RUN_AS_USER: 'set securityContext.runAsUser to a non-zero uid',
  PSS_SECCOMP: 'set securityContext.seccompProfile.type: RuntimeDefault on the pod',
  PSS_CAPABILITIES: 'set securityContext.capabilities.drop: [ALL] (only NET_BIND_SERVICE may be added back)',
  HARDEN_READ_ONLY_ROOT_FS: 'set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the container writes',
  HARDEN_IMAGE_NOT_PINNED: 'use a version tag other than latest (image:1.2.3) or a digest (image@sha256:...)',
  HARDEN_RESOURCE_REQUESTS: 'set resources.requests.cpu and resources.requests.memory on the container',
  SECRET_VALUE_EXPOSED: 'reference the Secret (env valueFrom.secretKeyRef, envFrom or a volume) instead of copying its value',
  SERVICE_PORT_INVALID: 'give each Service port a unique DNS-1123 name (required when there are several ports) and a port in 1-65535',
  SERVICE_NODE_PORT_RANGE: 'use a nodePort in 30000-32767, or leave it out and let Kubernetes choose one',
  SERVICE_FIELD_FORBIDDEN: 'remove the field, or change spec.type to NodePort or LoadBalancer where it applies',
  SESSION_AFFINITY_INVALID: 'set sessionAffinity: ClientIP with a timeoutSeconds of 1-86400, or remove sessionAffinityConfig',
  CONTAINER_PORT_INVALID: 'give each container port a unique IANA service name (at most 15 characters) and a number in 1-65535',
  SELECTOR_VOLATILE_LABEL: 'select on labels that stay the same across releases (app, component), not on a version, hash or checksum',
  WORKLOAD_INVALID: 'correct the workload field as the message says (for example maxSurge and maxUnavailable cannot both be 0)',
  PDB_INVALID: 'set one of minAvailable and maxUnavailable, not both',
  HPA_INVALID: 'set minReplicas >= 1 and maxReplicas >= minReplicas',
  LAST_APPLIED_TOO_LARGE: 'apply with `kubectl apply --server-side` (Argo CD: ServerSideApply=true), or make the object smaller',
  ANNOTATIONS_TOO_LARGE: 'keep the annotations under 256 KiB in total; move large values into a ConfigMap',
  DATA_TOO_LARGE: 'keep data and binaryData under 1 MiB; ship large files in the image or a volume',
  RBAC_TOO_BROAD: 'grant the proxy only get, list and watch on discovery.k8s.io endpointslices, in a namespaced Role',
};

/** The problem codes, for checking `--ignore`. */
export const PROBLEM_CODES: readonly string[] = Object.keys(FIXES);

const EXTERNAL_FLAG: Readonly<Record<string, string>> = {
  ConfigMap: '--external-config-map',
  Secret: '--external-secret',
  ServiceAccount: '--external-service-account',
  PersistentVolumeClaim: '--external-pvc',
};

/** The fix for one problem: the table's, made exact where the problem tells more (the flag and name to pass). */
export function fixFor(p: ManifestProblem): string {
  const kind = p.code === 'REFERENCE_MISSING' ? /names no (\w+)/.exec(p.message)?.[1] : undefined;
  const flag = kind === undefined ? undefined : EXTERNAL_FLAG[kind];
  if (flag !== undefined && typeof p.value === 'string') {
    return `add the ${kind} ${p.value}, or, when it is created elsewhere, pass ${flag} ${p.value}`;
  }
  return FIXES[p.code];
}
