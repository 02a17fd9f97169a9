/**
 * Turns resolved props into the proxy config, validated by the same function the proxy runs at startup. The config's
 * rules (ports, weights, subset names, timeouts) are checked there and only there; this module names the props
 * behind a refused field.
 */
import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ConfigError, ConfigIssue, DiscoverySourceInput, ListenerInput, ProxyConfig, ProxyConfigInput, validateProxyConfig } from '../../config';
import { PropsError } from '../errors';
import type { ResolvedAppProps } from '../resolved-props';

/** Where the proxy listens, and the props that set it, for messages. */
export interface ListenerSpec {
  readonly listener: ListenerInput;
  readonly adminPort: number;
  /** The prop behind `listener.port`, e.g. `gateway.port`. */
  readonly portProp: string;
  /** The prop behind `admin.port`, e.g. `proxy.adminPort`. */
  readonly adminPortProp: string;
}

const ms = (d: Duration | undefined): number | undefined => d?.toMilliseconds();

/** Drops `undefined` fields, so the schema's defaults apply. */
function compact<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The config input, before validation: what the props set, and nothing the schema would default. */
export function balancerConfigInput(app: ResolvedAppProps, sources: readonly DiscoverySourceInput[], spec: ListenerSpec): ProxyConfigInput {
  const { healthCheck: hc, outlierDetection: od, retries: rt, timeouts: to, proxy } = app;
  return compact<ProxyConfigInput>({
    version: 1,
    listener: spec.listener,
    admin: { host: '0.0.0.0', port: spec.adminPort },
    upstream: { name: app.name, port: app.balancedPort.number, sources: [...sources], trafficSplit: app.trafficSplit },
    algorithm: app.algorithm.toConfig(),
    healthCheck: hc && {
      path: hc.path,
      intervalMs: ms(hc.interval),
      timeoutMs: ms(hc.timeout),
      healthyThreshold: hc.healthyThreshold,
      unhealthyThreshold: hc.unhealthyThreshold,
    },
    outlierDetection: od && {
      consecutiveFailures: od.consecutiveFailures,
      baseEjectionMs: ms(od.baseEjection),
      maxEjectionMs: ms(od.maxEjection),
      maxEjectionPercent: od.maxEjectionPercent,
    },
    retries: rt && {
      attempts: rt.attempts,
      retryOn: rt.retryOn,
      budget: rt.budgetRatio === undefined ? undefined : { ratio: rt.budgetRatio },
    },
    timeouts: to && { connectMs: ms(to.connect), requestMs: ms(to.request), idleMs: ms(to.idle), clientIdleMs: ms(to.clientIdle) },
    shutdownDelayMs: ms(proxy.shutdownDelay),
    drainMs: ms(proxy.drain),
    logging: proxy.accessLog === undefined ? undefined : { level: 'info', accessLog: proxy.accessLog },
  });
}

/** The prop behind a config field where its name differs from the field's, and the fix in the props' words. */
interface Origin {
  readonly prop: string;
  readonly fix?: string;
}

const ORIGINS: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray, spec: ListenerSpec, app: ResolvedAppProps) => Origin]> = [
  [/^upstream\.sources\.(\d+)\.weight$/, (m) => ({ prop: `subsets[${m[1]}].weight`, fix: 'use a weight > 0; remove the subset to send it no traffic' })],
  [/^upstream\.sources\.(\d+)\.(\w+)$/, (m) => ({ prop: `subsets[${m[1]}]`, fix: `the discovery source of the subset has a bad ${m[2]}` })],
  [/^upstream\.trafficSplit(?:\.(.+))?$/, (m, _spec, app) => ({ prop: m[1] ? `${app.trafficSplitProp}.${m[1]}` : app.trafficSplitProp, fix: 'give every declared subset a share >= 0, e.g. { stable: 90, canary: 10 } (0 drains a subset)' })],
  [/^listener\.port$/, (_m, spec) => ({ prop: spec.portProp })],
  [/^admin\.port$/, (_m, spec) => ({ prop: spec.adminPortProp })],
];

function describe(issue: ConfigIssue, spec: ListenerSpec, app: ResolvedAppProps): string {
  for (const [pattern, origin] of ORIGINS) {
    const m = pattern.exec(issue.path);
    if (!m) continue;
    const { prop, fix } = origin(m, spec, app);
    return `  - ${issue.path} (from ${prop}): ${issue.message}${fix ? `; fix: ${fix}` : ''}`;
  }
  return `  - ${issue.path || '(root)'}: ${issue.message}`;
}

/**
 * Builds and validates the config; a bad one throws `LB_CONFIG_INVALID` naming the construct path, every bad field
 * with the prop behind it and its value, and the fix.
 */
export function buildBalancerConfig(scope: IConstruct, app: ResolvedAppProps, sources: readonly DiscoverySourceInput[], spec: ListenerSpec): ProxyConfig {
  if (app.algorithm.problem) throw new PropsError('LB_CONFIG_INVALID', scope.node.path, app.algorithm.problem);
  try {
    return validateProxyConfig(balancerConfigInput(app, sources, spec));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new PropsError(
      'LB_CONFIG_INVALID',
      scope.node.path,
      `the balancer config would be refused by the proxy; fix the props behind these fields:\n${e.issues.map((i) => describe(i, spec, app)).join('\n')}`,
    );
  }
}

/** The config as written into the ConfigMap: stable key order, two-space indent, trailing newline. */
export function serializeConfig(config: ProxyConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}
