// kubernetes-models 4.5.1 compiles the OpenAPI schema of a much newer Kubernetes (about 1.33, despite its README
// badge) and keeps old group-versions too. This file narrows it to what a 1.27 API server serves and accepts.
import { asArr, asRec, containersOf, dig, keyPath, Manifest, podTemplateOf, Rec, Report } from './manifest';

/** Group-versions served by Kubernetes 1.27 that kubernetes-models has schemas for. */
export const SERVED_IN_1_27: ReadonlySet<string> = new Set([
  'v1',
  'admissionregistration.k8s.io/v1',
  'apiextensions.k8s.io/v1',
  'apiregistration.k8s.io/v1',
  'apps/v1',
  'authentication.k8s.io/v1',
  'authorization.k8s.io/v1',
  'autoscaling/v1',
  'autoscaling/v2',
  'batch/v1',
  'certificates.k8s.io/v1',
  'coordination.k8s.io/v1',
  'discovery.k8s.io/v1',
  'events.k8s.io/v1',
  'flowcontrol.apiserver.k8s.io/v1beta2',
  'flowcontrol.apiserver.k8s.io/v1beta3',
  'networking.k8s.io/v1',
  'node.k8s.io/v1',
  'policy/v1',
  'rbac.authorization.k8s.io/v1',
  'scheduling.k8s.io/v1',
  'storage.k8s.io/v1',
]);

type Since = Readonly<Record<string, string>>;
const POD_SECURITY_CONTEXT: Since = { appArmorProfile: '1.30', supplementalGroupsPolicy: '1.31', seLinuxChangePolicy: '1.32' };
const POD_SPEC: Since = { resources: '1.32', hostnameOverride: '1.34' };
const CONTAINER: Since = { restartPolicy: '1.28' };
const SECURITY_CONTEXT: Since = { appArmorProfile: '1.30' };
const LIFECYCLE: Since = { stopSignal: '1.33' };
const LIFECYCLE_HANDLER: Since = { sleep: '1.29' };
const VOLUME_MOUNT: Since = { recursiveReadOnly: '1.30' };
const VOLUME: Since = { image: '1.31' };
const JOB_SPEC: Since = { podReplacementPolicy: '1.28', backoffLimitPerIndex: '1.28', maxFailedIndexes: '1.28', managedBy: '1.30', successPolicy: '1.30' };
const SERVICE_SPEC: Since = { trafficDistribution: '1.30' };

/** Fields the newer schema accepts but a 1.27 API server does not know. */
export function checkNewerFields(m: Manifest, report: Report): void {
  const flag = (obj: unknown, base: string, since: Since): void => {
    for (const key of Object.keys(asRec(obj) ?? {})) {
      const version = since[key];
      if (version !== undefined) {
        report(m, 'SCHEMA_UNKNOWN_FIELD', keyPath(base, key), `was added in Kubernetes ${version}; a 1.27 API server rejects or drops it`);
      }
    }
  };
  if (m.kind === 'Service') flag(m.raw.spec, 'spec', SERVICE_SPEC);
  if (m.kind === 'Job') flag(m.raw.spec, 'spec', JOB_SPEC);
  if (m.kind === 'CronJob') flag(dig(m.raw, 'spec', 'jobTemplate', 'spec'), 'spec.jobTemplate.spec', JOB_SPEC);
  const t = podTemplateOf(m);
  if (t === undefined) return;
  flag(t.spec, t.specPath, POD_SPEC);
  flag(t.spec.securityContext, `${t.specPath}.securityContext`, POD_SECURITY_CONTEXT);
  asArr(t.spec.volumes).forEach((v, i) => flag(v, `${t.specPath}.volumes[${i}]`, VOLUME));
  for (const { path, c } of containersOf(t)) {
    flag(c, path, CONTAINER);
    flag(c.securityContext, `${path}.securityContext`, SECURITY_CONTEXT);
    flag(c.lifecycle, `${path}.lifecycle`, LIFECYCLE);
    for (const hook of ['postStart', 'preStop']) flag(dig(c, 'lifecycle', hook), `${path}.lifecycle.${hook}`, LIFECYCLE_HANDLER);
    asArr(c.volumeMounts).forEach((vm, i) => flag(vm as Rec, `${path}.volumeMounts[${i}]`, VOLUME_MOUNT));
  }
}
