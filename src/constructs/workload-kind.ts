/**
 * Which kind of workload runs the app's pods.
 */
import * as kplus from 'cdk8s-plus-27';
import type { ReplicaSet } from './replica-set';

/** Any workload the app may run on. */
export type AppWorkload = kplus.Deployment | kplus.StatefulSet | ReplicaSet | kplus.Pod;

/** Options of {@link WorkloadKind.statefulSet}. */
export interface StatefulSetKindOptions {
  /**
   * How pods are created and deleted.
   * @default kplus.PodManagementPolicy.PARALLEL - the balancer does not need ordered start-up
   */
  readonly podManagementPolicy?: kplus.PodManagementPolicy;
}

/** The kind of the app workload: `WorkloadKind.deployment()` unless chosen otherwise. */
export class WorkloadKind {
  /** A Deployment with a RollingUpdate strategy. */
  public static deployment(): WorkloadKind {
    return new WorkloadKind('Deployment');
  }

  /** A ReplicaSet: pods are replaced only when they die, never rolled. */
  public static replicaSet(): WorkloadKind {
    return new WorkloadKind('ReplicaSet');
  }

  /** A StatefulSet, governed by the app's headless Service. */
  public static statefulSet(options: StatefulSetKindOptions = {}): WorkloadKind {
    return new WorkloadKind('StatefulSet', options.podManagementPolicy);
  }

  /** One bare Pod: no replicas, no autoscaling, no disruption budget. For demos and one-off tools. */
  public static pod(): WorkloadKind {
    return new WorkloadKind('Pod');
  }

  private constructor(
    /** The Kubernetes kind. */
    public readonly kind: 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'Pod',
    /** For StatefulSets only: as given; the StatefulSet uses `Parallel` when unset. */
    public readonly podManagementPolicy?: kplus.PodManagementPolicy,
  ) {}

  /** Whether the kind has a replica count, so that it can be autoscaled and covered by a disruption budget. */
  public get scalable(): boolean {
    return this.kind !== 'Pod';
  }
}
