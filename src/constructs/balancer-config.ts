/**
 * Turns construct options into the proxy config, validated by the same function the proxy runs at startup.
 */
import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ConfigError, ProxyConfig, ProxyConfigInput, validateProxyConfig } from '../config';
import { Algorithm } from './algorithm';
import { PropsError } from './errors';

/** Active HTTP health checks by the proxy. */
export interface HealthCheckOptions {
  /**
   * Path checked on each endpoint; also the path of the app's default readiness and liveness probes.
   * @default '/'
   */
  readonly path?: string;
  /**
   * Time between two checks of one endpoint.
   * @default Duration.seconds(5)
   */
  readonly interval?: Duration;
  /**
   * Time a check may take.
   * @default Duration.seconds(1)
   */
  readonly timeout?: Duration;
  /**
   * Passed checks that make an endpoint healthy.
   * @default 2
   */
  readonly healthyThreshold?: number;
  /**
   * Failed checks that make an endpoint unhealthy.
   * @default 3
   */
  readonly unhealthyThreshold?: number;
}

/** Passive outlier detection: endpoints that keep failing are ejected for a while. */
export interface OutlierDetectionOptions {
  /**
   * Consecutive failures that eject an endpoint.
   * @default 5
   */
  readonly consecutiveFailures?: number;
  /**
   * First ejection time; doubles with each further ejection.
   * @default Duration.seconds(30)
   */
  readonly baseEjection?: Duration;
  /**
   * Longest ejection.
   * @default Duration.minutes(5)
   */
  readonly maxEjection?: Duration;
  /**
   * Most endpoints ejected at once, in percent.
   * @default 50
   */
  readonly maxEjectionPercent?: number;
}

/** Retries of idempotent requests, each on another endpoint. */
export interface RetryOptions {
  /**
   * Retries after the first try.
   * @default 2
   */
  readonly attempts?: number;
  /**
   * Outcomes that are retried.
   * @default ['connect-failure', 'reset', '502', '503', '504']
   */
  readonly retryOn?: Array<'connect-failure' | 'reset' | '502' | '503' | '504'>;
  /**
   * Retries as a share of live requests.
   * @default 0.2
   */
  readonly budgetRatio?: number;
}

/** Timeouts of the proxy. */
export interface TimeoutOptions {
  /**
   * Upstream connect timeout.
   * @default Duration.seconds(1)
   */
  readonly connect?: Duration;
  /**
   * Whole upstream exchange, up to the response headers.
   * @default Duration.seconds(30)
   */
  readonly request?: Duration;
  /**
   * Idle upstream keep-alive connections are closed after this.
   * @default Duration.minutes(1)
   */
  readonly idle?: Duration;
  /**
   * Downstream keep-alive idle timeout.
   * @default Duration.seconds(65)
   */
  readonly clientIdle?: Duration;
}

/** One DNS discovery source: a subset's headless Service. */
export interface SubsetSource {
  readonly subset: string;
  readonly hostname: string;
  readonly weight: number;
}

/** Everything a proxy config is built from. */
export interface BalancerConfigSpec {
  readonly algorithm: Algorithm;
  readonly sources: readonly SubsetSource[];
  readonly upstreamName: string;
  readonly upstreamPort: number;
  readonly listener: { readonly host: string; readonly port: number };
  readonly adminPort: number;
  readonly healthCheck?: HealthCheckOptions;
  readonly outlierDetection?: OutlierDetectionOptions;
  readonly retries?: RetryOptions;
  readonly timeouts?: TimeoutOptions;
  readonly drain?: Duration;
  readonly accessLog?: boolean;
}

const ms = (d: Duration | undefined): number | undefined => d?.toMilliseconds();

/** Drops `undefined` fields, so the schema's defaults apply. */
function compact<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The config input, before validation. */
export function balancerConfigInput(spec: BalancerConfigSpec): ProxyConfigInput {
  const hc = spec.healthCheck;
  const od = spec.outlierDetection;
  const rt = spec.retries;
  const to = spec.timeouts;
  return compact<ProxyConfigInput>({
    version: 1,
    listener: { host: spec.listener.host, port: spec.listener.port },
    admin: { host: '0.0.0.0', port: spec.adminPort },
    upstream: {
      name: spec.upstreamName,
      port: spec.upstreamPort,
      sources: spec.sources.map((s) => ({ kind: 'dns', subset: s.subset, hostname: s.hostname, weight: s.weight })),
    },
    algorithm: spec.algorithm.toConfig(),
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
    timeouts: to && {
      connectMs: ms(to.connect),
      requestMs: ms(to.request),
      idleMs: ms(to.idle),
      clientIdleMs: ms(to.clientIdle),
    },
    drainMs: ms(spec.drain),
    logging: spec.accessLog === undefined ? undefined : { level: 'info', accessLog: spec.accessLog },
  });
}

/**
 * Builds and validates the config; a bad one throws `LB_CONFIG_INVALID` naming the construct path, every bad field
 * with its value, and the fix.
 */
export function buildBalancerConfig(scope: IConstruct, spec: BalancerConfigSpec): ProxyConfig {
  if (spec.algorithm.problem) throw new PropsError('LB_CONFIG_INVALID', scope.node.path, spec.algorithm.problem);
  const known = new Set(spec.sources.map((s) => s.subset));
  for (const [name, weight] of Object.entries(spec.algorithm.subsetWeights)) {
    if (!(typeof weight === 'number' && weight > 0 && Number.isFinite(weight))) {
      throw new PropsError(
        'LB_CONFIG_INVALID',
        scope.node.path,
        `algorithm subsetWeights.${name} must be a finite number > 0 (got ${JSON.stringify(weight)}); fix: give a positive weight, or a small one such as 0.01 to drain the subset`,
      );
    }
    if (!known.has(name)) {
      throw new PropsError(
        'LB_CONFIG_INVALID',
        scope.node.path,
        `algorithm subsetWeights names subset "${name}", which the app does not declare (got ${JSON.stringify(name)}); fix: use one of ${[...known].map((k) => `"${k}"`).join(', ')} or add a subset named "${name}"`,
      );
    }
  }
  try {
    return validateProxyConfig(balancerConfigInput(spec));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new PropsError(
      'LB_CONFIG_INVALID',
      scope.node.path,
      `the balancer config would be refused by the proxy; fix the props behind these fields:\n${e.issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
    );
  }
}

/** The config as written into the ConfigMap: stable key order, two-space indent, trailing newline. */
export function serializeConfig(config: ProxyConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}
