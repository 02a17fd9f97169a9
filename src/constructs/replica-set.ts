/**
 * A ReplicaSet L2 over `k8s.KubeReplicaSet` (cdk8s-plus-27 has none), built like cdk8s-plus's Deployment.
 */
import { ApiObject, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { Construct } from 'constructs';
import { checkInt } from './internal/checks';
import { DEFAULTS } from './internal/defaults';

/** Props of {@link ReplicaSet}. */
export interface ReplicaSetProps extends kplus.WorkloadProps {
  /**
   * Number of pods.
   * @default 1 - none when autoscaled
   */
  readonly replicas?: number;
  /**
   * Seconds a new pod must be ready before it counts as available.
   * @default 0
   */
  readonly minReadySeconds?: number;
}

/** A ReplicaSet: keeps `replicas` pods running, replacing those that die; it never rolls. */
export class ReplicaSet extends kplus.Workload implements kplus.IScalable {
  public readonly resourceType = 'replicasets';
  public readonly replicas?: number;
  public readonly minReadySeconds: number;
  /** True once a HorizontalPodAutoscaler targets this set; `spec.replicas` is then left out. */
  public hasAutoscaler = false;
  protected readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: ReplicaSetProps = {}) {
    super(scope, id, props);
    checkInt(this, 'replicas', props.replicas, 0);
    checkInt(this, 'minReadySeconds', props.minReadySeconds, 0);
    this.replicas = props.replicas;
    this.minReadySeconds = props.minReadySeconds ?? DEFAULTS.ReplicaSetProps.minReadySeconds;
    this.apiObject = new k8s.KubeReplicaSet(this, 'Resource', {
      metadata: props.metadata,
      spec: Lazy.any({ produce: () => this.toKube() }),
    });
  }

  /** @see kplus.IScalable.markHasAutoscaler */
  public markHasAutoscaler(): void {
    this.hasAutoscaler = true;
  }

  /** @see kplus.IScalable.toScalingTarget */
  public toScalingTarget(): kplus.ScalingTarget {
    return {
      kind: this.apiObject.kind,
      apiVersion: this.apiObject.apiVersion,
      name: this.name,
      containers: this.containers,
      replicas: this.replicas,
    };
  }

  private toKube(): k8s.ReplicaSetSpec {
    return {
      replicas: this.hasAutoscaler ? undefined : this.replicas ?? DEFAULTS.ReplicaSetProps.replicas,
      minReadySeconds: this.minReadySeconds,
      selector: this._toLabelSelector(),
      template: { metadata: this.podMetadata.toJson(), spec: this._toPodSpec() },
    };
  }
}
