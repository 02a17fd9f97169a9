/**
 * A PodDisruptionBudget L2 over `k8s.KubePodDisruptionBudget` (cdk8s-plus-27 has none).
 */
import { ApiObjectMetadata, Lazy } from 'cdk8s';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { Construct } from 'constructs';
import { UnhealthyPodEvictionPolicy } from './enums';
import { checkIntOrPercent, invalid } from './internal/checks';
import { DEFAULTS } from './internal/defaults';

/** Props of {@link PodDisruptionBudget}: give `minAvailable` or `maxUnavailable`, not both. */
export interface PodDisruptionBudgetProps {
  /**
   * Metadata.
   * @default - a generated name
   */
  readonly metadata?: ApiObjectMetadata;
  /** Labels of the pods the budget guards. */
  readonly selector: Record<string, string>;
  /**
   * Pods that must stay available during voluntary disruptions: a count or a percentage such as "50%".
   * @default - unset; `maxUnavailable` applies
   */
  readonly minAvailable?: number | string;
  /**
   * Pods that may be unavailable during voluntary disruptions.
   * @default 1 - when minAvailable is unset
   */
  readonly maxUnavailable?: number | string;
  /**
   * Eviction of unready pods.
   * @default UnhealthyPodEvictionPolicy.ALWAYS_ALLOW
   */
  readonly unhealthyPodEvictionPolicy?: UnhealthyPodEvictionPolicy;
}

function intOrPercent(v: number | string): k8s.IntOrString {
  return typeof v === 'number' ? k8s.IntOrString.fromNumber(v) : k8s.IntOrString.fromString(v);
}

/** A budget for voluntary disruptions (drains, upgrades). The primary child is `Resource`. */
export class PodDisruptionBudget extends Construct {
  public readonly minAvailable?: number | string;
  public readonly maxUnavailable?: number | string;
  public readonly unhealthyPodEvictionPolicy: UnhealthyPodEvictionPolicy;
  public readonly name: string;

  constructor(scope: Construct, id: string, props: PodDisruptionBudgetProps) {
    super(scope, id);
    if (props.minAvailable !== undefined && props.maxUnavailable !== undefined) {
      invalid(this, 'minAvailable together with maxUnavailable', props, 'give only one of them');
    }
    checkIntOrPercent(this, 'minAvailable', props.minAvailable);
    checkIntOrPercent(this, 'maxUnavailable', props.maxUnavailable);
    const D = DEFAULTS.PodDisruptionBudgetProps;
    this.minAvailable = props.minAvailable;
    this.maxUnavailable = props.minAvailable === undefined ? props.maxUnavailable ?? D.maxUnavailable : undefined;
    this.unhealthyPodEvictionPolicy = props.unhealthyPodEvictionPolicy ?? D.unhealthyPodEvictionPolicy;
    const obj = new k8s.KubePodDisruptionBudget(this, 'Resource', {
      metadata: props.metadata,
      spec: Lazy.any({
        produce: (): k8s.PodDisruptionBudgetSpec => ({
          selector: { matchLabels: { ...props.selector } },
          minAvailable: this.minAvailable === undefined ? undefined : intOrPercent(this.minAvailable),
          maxUnavailable: this.maxUnavailable === undefined ? undefined : intOrPercent(this.maxUnavailable),
          unhealthyPodEvictionPolicy: this.unhealthyPodEvictionPolicy,
        }),
      }),
    });
    this.name = obj.name;
  }
}
