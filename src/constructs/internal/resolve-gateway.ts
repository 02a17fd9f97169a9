/**
 * The gateway's props, resolved and checked once: replicas or autoscaling, a disruption budget that never lets every
 * proxy go at once, and where Prometheus finds the proxies' metrics.
 */
import { IConstruct } from 'constructs';
import type { AutoscalingOptions } from '../app-subset';
import type { LoadBalancedAppProps } from '../load-balanced-app';
import type { ResolvedAppProps, ResolvedAutoscaling } from '../resolved-props';
import { checkInt, invalid } from './checks';
import { DEFAULTS } from './defaults';

/** Checks an autoscaler's range and target; `prefix` is how the user wrote it, e.g. `gateway.autoscaling`. */
export function resolveAutoscalingRange(scope: IConstruct, prefix: string, hpa: AutoscalingOptions): ResolvedAutoscaling {
  checkInt(scope, `${prefix}.minReplicas`, hpa.minReplicas, 1);
  checkInt(scope, `${prefix}.maxReplicas`, hpa.maxReplicas, 1);
  const minReplicas = hpa.minReplicas ?? DEFAULTS.AutoscalingOptions.minReplicas;
  if (minReplicas > hpa.maxReplicas) {
    invalid(scope, `${prefix}.minReplicas`, minReplicas, `make it <= maxReplicas (${hpa.maxReplicas}), or raise maxReplicas`);
  }
  const cpu = hpa.cpuUtilization ?? DEFAULTS.AutoscalingOptions.cpuUtilization;
  if (!(cpu > 0 && cpu <= 100)) invalid(scope, `${prefix}.cpuUtilization`, cpu, 'use a percentage in (0, 100]');
  return { minReplicas, maxReplicas: hpa.maxReplicas, cpuUtilization: cpu };
}

export function resolveGateway(app: IConstruct, props: LoadBalancedAppProps): ResolvedAppProps['gateway'] {
  if (props.gateway === false) return undefined;
  const g = props.gateway ?? {};
  const D = DEFAULTS.GatewayOptions;
  checkInt(app, 'gateway.replicas', g.replicas, 1);
  if (g.autoscaling && g.replicas !== undefined) {
    invalid(app, 'gateway.replicas together with gateway.autoscaling', g.replicas, 'drop gateway.replicas; the autoscaler owns the count between minReplicas and maxReplicas');
  }
  const autoscaling = g.autoscaling && resolveAutoscalingRange(app, 'gateway.autoscaling', g.autoscaling);
  const replicas = autoscaling ? undefined : g.replicas ?? D.replicas;
  // 0 would block every node drain; the floor or more would let every proxy be evicted at once.
  const maxUnavailable = g.maxUnavailable ?? D.maxUnavailable;
  checkInt(app, 'gateway.maxUnavailable', maxUnavailable, 1);
  const floor = autoscaling ? autoscaling.minReplicas : replicas ?? D.replicas;
  if (floor >= 2 && maxUnavailable >= floor) {
    const prop = autoscaling ? 'gateway.autoscaling.minReplicas' : 'gateway.replicas';
    invalid(app, 'gateway.maxUnavailable', maxUnavailable, `keep it below the gateway's floor of ${floor} proxies (${prop}), or a node drain may evict every proxy at once`);
  }
  const m = g.metrics ?? {};
  const M = DEFAULTS.GatewayMetricsOptions;
  return {
    replicas,
    port: g.port ?? D.port,
    maxUnavailable,
    autoscaling,
    metrics: {
      service: m.service ?? M.service,
      scrapeAnnotations: m.scrapeAnnotations ?? M.scrapeAnnotations,
      podMonitor: m.podMonitor ?? M.podMonitor,
      podMonitorLabels: { ...(m.podMonitorLabels ?? {}) },
    },
  };
}
