// Pod Security Standards, "restricted" profile as of Kubernetes v1.27 (which includes "baseline"), checked on
// every pod spec in the set: bare Pods and the templates of workloads and CronJobs. Then the hardening this
// project promises on top: read-only root filesystems, pinned images, and resource requests.
// The rules follow https://kubernetes.io/docs/concepts/security/pod-security-standards/ field by field.
import { imageProblem } from '../internal/k8s-names';
import { asArr, asRec, asStr, ContainerAt, containersOf, keyPath, PodTemplate, Rec, Report } from './manifest';

const ALLOWED_VOLUME_TYPES = new Set([
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports', // allowed from v1.27
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const SECCOMP_OK = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

export function checkPodSecurity(t: PodTemplate, report: Report): void {
  const sp = t.specPath;
  const podSc = asRec(t.spec.securityContext) ?? {};
  const containers = containersOf(t);
  const r = (code: Parameters<Report>[1], path: string, message: string, value?: unknown): void =>
    report(t.owner, code, path, message, value);

  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (t.spec[field] === true) r('PSS_HOST_NAMESPACE', `${sp}.${field}`, 'must be unset or false (restricted)', true);
  }
  checkSharedSecurityContext(podSc, `${sp}.securityContext`, r);
  if (podSc.runAsNonRoot === false) r('PSS_RUN_AS_NON_ROOT', `${sp}.securityContext.runAsNonRoot`, 'must be true or unset', false);
  asArr(podSc.sysctls).forEach((raw, i) => {
    const name = asStr(asRec(raw)?.name) ?? '';
    if (!SAFE_SYSCTLS.has(name)) r('PSS_SYSCTL', `${sp}.securityContext.sysctls[${i}].name`, `is not a safe sysctl; allowed: ${[...SAFE_SYSCTLS].join(', ')}`, name);
  });
  for (const [k, v] of Object.entries(t.annotations)) {
    if (k.startsWith(APPARMOR_PREFIX) && v !== 'runtime/default' && !v.startsWith('localhost/')) {
      r('PSS_APPARMOR', keyPath(`${metaPath(t)}.annotations`, k), 'must be runtime/default or localhost/<profile>', v);
    }
  }
  asArr(t.spec.volumes).forEach((raw, i) => {
    const types = Object.keys(asRec(raw) ?? {}).filter((k) => k !== 'name');
    for (const type of types) {
      if (!ALLOWED_VOLUME_TYPES.has(type)) r('PSS_VOLUME_TYPE', `${sp}.volumes[${i}].${type}`, `volume type ${type} is not allowed; use one of ${[...ALLOWED_VOLUME_TYPES].join(', ')}`);
    }
  });

  const windows = asStr(asRec(t.spec.os)?.name) === 'windows';
  for (const ct of containers) checkContainer(ct, podSc, windows, r);
}

function metaPath(t: PodTemplate): string {
  return t.specPath === 'spec' ? 'metadata' : t.specPath.replace(/\.spec$/, '.metadata');
}

type R = (code: Parameters<Report>[1], path: string, message: string, value?: unknown) => void;

/** Fields that mean the same at pod and container level. */
function checkSharedSecurityContext(sc: Rec, path: string, r: R): void {
  if (asRec(sc.windowsOptions)?.hostProcess === true) r('PSS_HOST_PROCESS', `${path}.windowsOptions.hostProcess`, 'must be unset or false', true);
  if (sc.runAsUser === 0) r('PSS_RUN_AS_USER', `${path}.runAsUser`, 'must not be 0 (root)', 0);
  const se = asRec(sc.seLinuxOptions);
  if (se !== undefined) {
    if (!SELINUX_TYPES.has(asStr(se.type) ?? '')) r('PSS_SELINUX', `${path}.seLinuxOptions.type`, 'must be unset, container_t, container_init_t or container_kvm_t', se.type);
    for (const f of ['user', 'role'] as const) {
      if (se[f] !== undefined && se[f] !== '') r('PSS_SELINUX', `${path}.seLinuxOptions.${f}`, 'must be unset', se[f]);
    }
  }
  const seccomp = asStr(asRec(sc.seccompProfile)?.type);
  if (seccomp !== undefined && !SECCOMP_OK.has(seccomp)) r('PSS_SECCOMP', `${path}.seccompProfile.type`, 'must be RuntimeDefault or Localhost', seccomp);
  if (asRec(sc.appArmorProfile)?.type === 'Unconfined') r('PSS_APPARMOR', `${path}.appArmorProfile.type`, 'must be RuntimeDefault or Localhost', 'Unconfined');
}

function checkContainer({ path, c }: ContainerAt, podSc: Rec, windows: boolean, r: R): void {
  const sc = asRec(c.securityContext) ?? {};
  const scPath = `${path}.securityContext`;
  checkSharedSecurityContext(sc, scPath, r);
  if (sc.privileged === true) r('PSS_PRIVILEGED', `${scPath}.privileged`, 'must be unset or false', true);
  if (sc.procMount !== undefined && sc.procMount !== 'Default') r('PSS_PROC_MOUNT', `${scPath}.procMount`, 'must be unset or Default', sc.procMount);
  asArr(c.ports).forEach((raw, i) => {
    const hostPort = asRec(raw)?.hostPort;
    if (hostPort !== undefined && hostPort !== 0) r('PSS_HOST_PORT', `${path}.ports[${i}].hostPort`, 'must be unset or 0', hostPort);
  });

  // runAsNonRoot: the pod-level true covers every container that does not override it with false.
  if (sc.runAsNonRoot === false) {
    r('PSS_RUN_AS_NON_ROOT', `${scPath}.runAsNonRoot`, 'must be true or unset (with the pod-level runAsNonRoot: true)', false);
  } else if (sc.runAsNonRoot !== true && podSc.runAsNonRoot !== true) {
    r('PSS_RUN_AS_NON_ROOT', `${scPath}.runAsNonRoot`, 'must be true here or at spec.securityContext.runAsNonRoot', sc.runAsNonRoot);
  }
  if (windows) return; // the restricted profile skips the Linux-only controls below for Windows pods
  if (sc.allowPrivilegeEscalation !== false) {
    r('PSS_PRIVILEGE_ESCALATION', `${scPath}.allowPrivilegeEscalation`, 'must be false', sc.allowPrivilegeEscalation);
  }
  const seccomp = asStr(asRec(sc.seccompProfile)?.type);
  const podSeccomp = asStr(asRec(podSc.seccompProfile)?.type);
  if (seccomp === undefined && !SECCOMP_OK.has(podSeccomp ?? '')) {
    r('PSS_SECCOMP', `${scPath}.seccompProfile.type`, 'must be RuntimeDefault or Localhost here or at spec.securityContext.seccompProfile');
  }
  const caps = asRec(sc.capabilities);
  const drop = asArr(caps?.drop);
  if (!drop.includes('ALL')) r('PSS_CAPABILITIES', `${scPath}.capabilities.drop`, 'must include ALL', caps?.drop);
  asArr(caps?.add).forEach((cap, i) => {
    if (cap !== 'NET_BIND_SERVICE') r('PSS_CAPABILITIES', `${scPath}.capabilities.add[${i}]`, 'only NET_BIND_SERVICE may be added', cap);
  });
}

/** The project's hardening promise beyond PSS; ephemeral (debug) containers are exempt. */
export function checkHardening(t: PodTemplate, report: Report): void {
  for (const { path, c } of containersOf(t, false)) {
    const sc = asRec(c.securityContext);
    if (sc?.readOnlyRootFilesystem !== true) {
      report(t.owner, 'HARDEN_READ_ONLY_ROOT_FS', `${path}.securityContext.readOnlyRootFilesystem`, 'must be true; mount an emptyDir where the process writes', sc?.readOnlyRootFilesystem);
    }
    const image = asStr(c.image) ?? '';
    if (!isPinned(image)) {
      report(t.owner, 'HARDEN_IMAGE_NOT_PINNED', `${path}.image`, 'must carry a version tag other than latest, or a digest (@sha256:...)', c.image);
    }
    const requests = asRec(asRec(c.resources)?.requests) ?? {};
    const missing = ['cpu', 'memory'].filter((k) => requests[k] === undefined);
    if (missing.length > 0) {
      report(t.owner, 'HARDEN_RESOURCE_REQUESTS', `${path}.resources.requests`, `must set ${missing.join(' and ')}`, asRec(c.resources)?.requests);
    }
  }
}

/** `name:tag` with a tag other than latest, or `name@sha256:...`; the rule is the constructs' own (k8s-names.ts). */
export function isPinned(image: string): boolean {
  return imageProblem(image) === undefined;
}
