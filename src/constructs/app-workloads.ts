/**
 * Builds the workloads of the app's subsets and the gateway, and the pod-level settings every pod of ours shares.
 */
import { ApiObject, ApiObjectMetadataDefinition, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { invalid } from './errors';
import { SpreadOptions } from './options';
import { ReplicaSet } from './replica-set';
import { addRuntimeDefaultSeccomp, podSpecPointer, restrictedPod } from './security';
import { AppWorkload, WorkloadKind } from './workload-kind';

/** Everything one workload of ours is built from. */
export interface WorkloadSpec {
  readonly kind: WorkloadKind;
  readonly name: string;
  readonly namespace?: string;
  /** Selector labels; also put on the pods. */
  readonly labels: Record<string, string>;
  /** Replicas, or undefined when an autoscaler owns the count. */
  readonly replicas?: number;
  readonly maxSurge: number | string;
  readonly maxUnavailable: number | string;
  readonly revisionHistoryLimit: number;
  /** Governing Service, for StatefulSets. */
  readonly headless?: kplus.Service;
  readonly user: number;
  readonly group: number;
  readonly spread: SpreadOptions;
}

/** The metadata that ends up on the pods of `pod`: the template's for a workload, the object's for a bare Pod. */
export function podMetadata(pod: kplus.AbstractPod): ApiObjectMetadataDefinition {
  return pod instanceof kplus.Workload ? pod.podMetadata : pod.metadata;
}

/** Reads "25%" or 1 as cdk8s-plus wants it. */
export function percentOrAbsolute(scope: IConstruct, what: string, v: number | string): kplus.PercentOrAbsolute {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) invalid(scope, what, v, 'use an integer >= 0 or a percentage such as "25%"');
    return kplus.PercentOrAbsolute.absolute(v);
  }
  const m = /^(100|[1-9]?\d)%$/.exec(v);
  if (!m) invalid(scope, what, v, 'use an integer >= 0 or a percentage such as "25%"');
  return kplus.PercentOrAbsolute.percent(Number(m[1]));
}

/** Creates the workload, with restricted pod security, our labels and no cdk8s-generated selector. */
export function createWorkload(scope: Construct, id: string, spec: WorkloadSpec): AppWorkload {
  const common = {
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
    securityContext: restrictedPod(spec.user, spec.group),
    automountServiceAccountToken: false,
  };
  let workload: AppWorkload;
  switch (spec.kind.kind) {
    case 'Deployment':
      workload = new kplus.Deployment(scope, id, {
        ...common,
        select: false,
        replicas: spec.replicas,
        strategy: kplus.DeploymentStrategy.rollingUpdate({
          maxSurge: percentOrAbsolute(scope, 'maxSurge', spec.maxSurge),
          maxUnavailable: percentOrAbsolute(scope, 'maxUnavailable', spec.maxUnavailable),
        }),
      });
      break;
    case 'StatefulSet':
      workload = new kplus.StatefulSet(scope, id, {
        ...common,
        select: false,
        replicas: spec.replicas,
        service: spec.headless,
        podManagementPolicy: spec.kind.podManagementPolicy,
      });
      break;
    case 'ReplicaSet':
      workload = new ReplicaSet(scope, id, { ...common, select: false, replicas: spec.replicas });
      break;
    case 'Pod':
      workload = new kplus.Pod(scope, id, common);
      break;
  }
  if (workload instanceof kplus.Workload) {
    workload.select(kplus.LabelSelector.of({ labels: spec.labels }));
  }
  const meta = podMetadata(workload);
  for (const [k, v] of Object.entries(spec.labels)) meta.addLabel(k, v);
  addRuntimeDefaultSeccomp(workload);
  const obj = ApiObject.of(workload);
  if (obj.kind === 'Deployment' || obj.kind === 'StatefulSet') {
    obj.addJsonPatch(JsonPatch.add('/spec/revisionHistoryLimit', spec.revisionHistoryLimit));
  }
  if (spec.kind.scalable) addTopologySpread(workload, spec.labels, spec.spread);
  return workload;
}

/** Spreads pods across nodes, and across zones when asked. */
export function addTopologySpread(workload: IConstruct, labels: Record<string, string>, spread: SpreadOptions): void {
  const keys = ['kubernetes.io/hostname', ...(spread.zones ? ['topology.kubernetes.io/zone'] : [])];
  const obj = ApiObject.of(workload);
  obj.addJsonPatch(
    JsonPatch.add(
      `${podSpecPointer(obj.kind)}/topologySpreadConstraints`,
      keys.map((topologyKey) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: spread.whenUnsatisfiable ?? 'ScheduleAnyway',
        labelSelector: { matchLabels: { ...labels } },
      })),
    ),
  );
}
