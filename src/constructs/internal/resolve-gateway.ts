/**
 * The gateway's props, resolved and checked once: replicas or autoscaling, a disruption budget that never lets every
 * proxy go at once, and where Prometheus finds the proxies' metrics.
 */
import { IConstruct } from 'constructs';
import type { AutoscalingOptions } from '../app-subset';
import { GatewayTls, TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY, TLS_SECRET_TYPE } from '../gateway-tls';
import { dns1123SubdomainProblem } from '../../internal/k8s-names';
import type { LoadBalancedAppProps } from '../load-balanced-app';
import type { ResolvedAppProps, ResolvedAutoscaling, ResolvedGatewayTls } from '../resolved-props';
import { checkInt, checkWholeDuration, invalid } from './checks';
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

/** The gateway's TLS: a Secret by name, or one the chart makes from an AppSecret that must be a complete TLS pair. */
function resolveGatewayTls(app: IConstruct, appName: string, tls: GatewayTls): ResolvedGatewayTls {
  const secret = tls.appSecret;
  if (tls.secretName !== undefined && dns1123SubdomainProblem(tls.secretName) !== undefined) {
    invalid(app, 'gateway.tls secret name', tls.secretName, 'name the kubernetes.io/tls Secret as it exists in the app\'s namespace: lowercase letters, digits, "-" and "."');
  }
  if (secret?.values !== undefined) {
    if (secret.type !== TLS_SECRET_TYPE) {
      invalid(app, 'gateway.tls AppSecret type', secret.type ?? 'Opaque', `a TLS pair lives in a Secret of type ${TLS_SECRET_TYPE}: AppSecret.fromValues({ '${TLS_CERT_KEY}': cert, '${TLS_PRIVATE_KEY_KEY}': key }, { type: '${TLS_SECRET_TYPE}' })`);
    }
    const missing = [TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY].filter((k) => !secret.values![k]);
    if (missing.length > 0) {
      invalid(app, 'gateway.tls AppSecret keys', Object.keys(secret.values), `add ${missing.map((k) => `'${k}'`).join(' and ')}: the PEM certificate chain under '${TLS_CERT_KEY}' and its private key under '${TLS_PRIVATE_KEY_KEY}'`);
    }
  }
  const D = DEFAULTS.GatewayTlsOptions;
  checkWholeDuration(app, 'gateway.tls reloadCheck', tls.options.reloadCheck, 'milliseconds');
  return {
    secretName: tls.secretName ?? `${appName}-gateway-tls`,
    appSecret: secret?.values !== undefined ? secret : undefined,
    minVersion: tls.options.minVersion ?? D.minVersion,
    reloadCheck: tls.options.reloadCheck ?? D.reloadCheck,
  };
}

export function resolveGateway(app: IConstruct, props: LoadBalancedAppProps, appName: string): ResolvedAppProps['gateway'] {
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
  checkWholeDuration(app, 'gateway.maxConnectionAge', g.maxConnectionAge, 'milliseconds');
  const m = g.metrics ?? {};
  const M = DEFAULTS.GatewayMetricsOptions;
  return {
    replicas,
    port: g.port ?? D.port,
    maxUnavailable,
    autoscaling,
    tls: g.tls && resolveGatewayTls(app, appName, g.tls),
    maxConnectionAge: g.maxConnectionAge,
    metrics: {
      service: m.service ?? M.service,
      scrapeAnnotations: m.scrapeAnnotations ?? M.scrapeAnnotations,
      podMonitor: m.podMonitor ?? M.podMonitor,
      podMonitorLabels: { ...(m.podMonitorLabels ?? {}) },
    },
  };
}
