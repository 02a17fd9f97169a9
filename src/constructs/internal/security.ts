/**
 * Pod Security "restricted" settings, which cdk8s-plus-27 cannot fully express (no seccompProfile, no `ALL` capability).
 */
import { ApiObject, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { invalid } from './checks';
import { Capabilities } from '../capabilities';
import type { DiscoveryBinding } from '../discovery';

/** cdk8s-plus-27's Capability enum lacks `ALL`, which the restricted profile requires dropping. */
const ALL_CAPABILITIES = Capabilities.ALL;

/** A container security context that passes the restricted profile. */
export function restrictedContainer(user: number, group: number): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user,
    group,
    privileged: false,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: [ALL_CAPABILITIES] },
  };
}

/** A pod security context that passes the restricted profile (seccomp is added by {@link addRuntimeDefaultSeccomp}). */
export function restrictedPod(user: number, group: number): kplus.PodSecurityContextProps {
  return { ensureNonRoot: true, user, group, fsGroup: group };
}

/** How a pod of ours reaches the Kubernetes API: with a ServiceAccount token, or not at all. */
export type PodApiAccess = Pick<kplus.AbstractPodProps, 'serviceAccount' | 'automountServiceAccountToken'>;

/**
 * The API access of a pod that runs the proxy with these discovery bindings (none for a pod that does not run it).
 * The one place that decides token mounting: a token only when a binding, made by `Discovery.bind`, brings the
 * ServiceAccount its discovery needs.
 */
export function podApiAccess(bindings: readonly DiscoveryBinding[] = []): PodApiAccess {
  const accounts = [...new Set(bindings.map((b) => b.serviceAccount).filter((a) => a !== undefined))];
  if (accounts.length > 1) throw new Error(`discovery bound ${accounts.length} ServiceAccounts, but a pod runs as one`);
  return accounts.length === 0 ? { automountServiceAccountToken: false } : { serviceAccount: accounts[0], automountServiceAccountToken: true };
}

/**
 * Runs the consumer's pod as the discovery ServiceAccount when discovery reads the Kubernetes API (EndpointSlices),
 * with its token mounted; a consumer that has a ServiceAccount of its own cannot also run as ours.
 */
export function useDiscoveryAccount(consumer: kplus.AbstractPod, bindings: readonly DiscoveryBinding[]): void {
  const access = podApiAccess(bindings);
  if (access.serviceAccount === undefined) return;
  const own = consumer.serviceAccount;
  if (own !== undefined && own.name !== access.serviceAccount.name) {
    invalid(consumer, 'consumer serviceAccount', own.name, `EndpointSlice discovery runs the sidecar as ${access.serviceAccount.name}, and a pod has one ServiceAccount: drop yours, or use Discovery.dns() for this app`);
  }
  const obj = ApiObject.of(consumer);
  const base = podSpecPointer(obj.kind);
  obj.addJsonPatch(JsonPatch.add(`${base}/serviceAccountName`, access.serviceAccount.name));
  obj.addJsonPatch(JsonPatch.add(`${base}/automountServiceAccountToken`, true));
}

/** JSON pointer of the pod spec inside an object of this kind. */
export function podSpecPointer(kind: string): string {
  switch (kind) {
    case 'Pod':
      return '/spec';
    case 'CronJob':
      return '/spec/jobTemplate/spec/template/spec';
    default:
      return '/spec/template/spec';
  }
}

/**
 * Sets the pod-level seccompProfile to RuntimeDefault, which covers every container of the pod.
 * cdk8s-plus always renders a pod securityContext, so the patch has a parent to add to.
 */
export function addRuntimeDefaultSeccomp(workload: IConstruct): void {
  const obj = ApiObject.of(workload);
  obj.addJsonPatch(JsonPatch.add(`${podSpecPointer(obj.kind)}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
}

/** Returns the pod's volume built by `make` under construct id `id`, creating it once. */
export function podVolume(pod: kplus.AbstractPod, id: string, make: () => kplus.Volume): kplus.Volume {
  return (pod.node.tryFindChild(id) as kplus.Volume | undefined) ?? make();
}

/** A writable /tmp for a container whose root filesystem is read-only. */
export function mountTmp(pod: kplus.AbstractPod, container: kplus.Container, volumeName: string): void {
  const id = `Volume-${volumeName}`;
  const volume = podVolume(pod, id, () =>
    kplus.Volume.fromEmptyDir(pod, id, volumeName, { sizeLimit: Size.mebibytes(64) }),
  );
  container.mount('/tmp', volume);
}
