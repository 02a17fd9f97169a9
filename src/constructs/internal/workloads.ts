/**
 * Builds the workloads of the app's subsets and of the gateway, with the pod-level settings every pod of ours shares.
 */
import { ApiObject, ApiObjectMetadataDefinition, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import type { SpreadOptions } from '../app-subset';
import { ReplicaSet } from '../replica-set';
import { AppWorkload, WorkloadKind } from '../workload-kind';
import { DEFAULTS } from './defaults';
import { addRuntimeDefaultSeccomp, PodApiAccess, podSpecPointer, restrictedPod } from './security';

/** Everything one workload of ours is built from; every value is resolved. */
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
  readonly spread: Required<SpreadOptions>;
  readonly apiAccess: PodApiAccess;
  /** Set on pods that run the proxy, so that it can finish its shutdown delay and drain. */
  readonly terminationGracePeriod?: Duration;
}

/** The metadata that ends up on the pods of `pod`: the template's for a workload, the object's for a bare Pod. */
export function podMetadata(pod: kplus.AbstractPod): ApiObjectMetadataDefinition {
  return pod instanceof kplus.Workload ? pod.podMetadata : pod.metadata;
}

/** "25%" or 1 as cdk8s-plus wants it; the value was checked when the props were resolved. */
function percentOrAbsolute(v: number | string): kplus.PercentOrAbsolute {
  return typeof v === 'number' ? kplus.PercentOrAbsolute.absolute(v) : kplus.PercentOrAbsolute.percent(Number.parseInt(v, 10));
}

function newWorkload(scope: Construct, id: string, spec: WorkloadSpec): AppWorkload {
  const common = {
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
    securityContext: restrictedPod(spec.user, spec.group),
    terminationGracePeriod: spec.terminationGracePeriod,
    ...spec.apiAccess,
  };
  switch (spec.kind.kind) {
    case 'Deployment':
      return new kplus.Deployment(scope, id, {
        ...common,
        select: false,
        replicas: spec.replicas,
        strategy: kplus.DeploymentStrategy.rollingUpdate({
          maxSurge: percentOrAbsolute(spec.maxSurge),
          maxUnavailable: percentOrAbsolute(spec.maxUnavailable),
        }),
      });
    case 'StatefulSet':
      return new kplus.StatefulSet(scope, id, {
        ...common,
        select: false,
        replicas: spec.replicas,
        service: spec.headless,
        podManagementPolicy: spec.kind.podManagementPolicy ?? DEFAULTS.StatefulSetKindOptions.podManagementPolicy,
      });
    case 'ReplicaSet':
      return new ReplicaSet(scope, id, { ...common, select: false, replicas: spec.replicas });
    case 'Pod':
      return new kplus.Pod(scope, id, common);
  }
}

/** Creates the workload, with restricted pod security, our labels and no cdk8s-generated selector. */
export function createWorkload(scope: Construct, id: string, spec: WorkloadSpec): AppWorkload {
  const workload = newWorkload(scope, id, spec);
  if (workload instanceof kplus.Workload) workload.select(kplus.LabelSelector.of({ labels: spec.labels }));
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
function addTopologySpread(workload: IConstruct, labels: Record<string, string>, spread: Required<SpreadOptions>): void {
  const keys = ['kubernetes.io/hostname', ...(spread.zones ? ['topology.kubernetes.io/zone'] : [])];
  const obj = ApiObject.of(workload);
  obj.addJsonPatch(
    JsonPatch.add(
      `${podSpecPointer(obj.kind)}/topologySpreadConstraints`,
      keys.map((topologyKey) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: spread.whenUnsatisfiable,
        labelSelector: { matchLabels: { ...labels } },
      })),
    ),
  );
}
