/**
 * Hardening a consumer's pod to Pod Security "restricted" when a sidecar goes in (issue 8, finding 5): the README's
 * own consumer failed the validator because its container kept its capabilities.
 *
 * cdk8s-plus containers are immutable once added, so the capabilities are set by JSON patches on the synthesized pod
 * spec, one per container present at the call. What restricted forbids and a patch cannot safely decide for the user
 * (privileged, privilege escalation, root, added capabilities) is refused with the container's name and the fix.
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { invalid } from './checks';
import { podSpecPointer } from './security';

/** The one capability restricted lets a container add. */
const NET_BIND_SERVICE = 'NET_BIND_SERVICE';
const OPT_OUT = 'or pass { hardenPod: false } to addConsumer to keep the pod\'s security settings yours';

/** Makes every container of `consumer` but `sidecar` (which is restricted already) pass the restricted profile. */
export function hardenConsumerPod(consumer: kplus.AbstractPod, sidecar: string): void {
  if (consumer.securityContext.ensureNonRoot === false) {
    invalid(consumer, 'consumer securityContext.ensureNonRoot', false, `Pod Security "restricted" needs non-root pods: remove it, ${OPT_OUT}`);
  }
  const obj = ApiObject.of(consumer);
  const base = podSpecPointer(obj.kind);
  const groups: [string, readonly kplus.Container[]][] = [
    ['containers', consumer.containers],
    ['initContainers', consumer.initContainers],
  ];
  for (const [field, list] of groups) {
    list.forEach((c, i) => {
      if (c.name === sidecar) return;
      const sc = c.securityContext;
      const where = `consumer container "${c.name}" securityContext`;
      if (sc.privileged) invalid(consumer, `${where}.privileged`, true, `restricted forbids privileged containers: remove it, ${OPT_OUT}`);
      if (sc.allowPrivilegeEscalation) {
        invalid(consumer, `${where}.allowPrivilegeEscalation`, true, `restricted forbids privilege escalation: remove it, ${OPT_OUT}`);
      }
      if (sc.ensureNonRoot === false) invalid(consumer, `${where}.ensureNonRoot`, false, `restricted needs non-root containers: remove it, ${OPT_OUT}`);
      // cdk8s-plus spells capabilities CAP_X; the restricted admission check compares with "NET_BIND_SERVICE" exactly,
      // and container runtimes take both spellings, so it is written without the prefix.
      const added = (sc.capabilities?.add ?? []).map((cap) => String(cap).replace(/^CAP_/, ''));
      const forbidden = added.filter((cap) => cap !== NET_BIND_SERVICE);
      if (forbidden.length > 0) {
        invalid(consumer, `${where}.capabilities.add`, forbidden, `restricted lets a container add only ${NET_BIND_SERVICE}: remove the others, ${OPT_OUT}`);
      }
      const capabilities = { ...(added.length > 0 ? { add: added } : {}), drop: ['ALL'] };
      obj.addJsonPatch(JsonPatch.add(`${base}/${field}/${i}/securityContext/capabilities`, capabilities));
    });
  }
}
