/**
 * Turns resolved props into the proxy config, validated by the same function the proxy runs at startup. The config's
 * rules (ports, weights, subset names, timeouts) are checked there and only there; this module names the props
 * behind a refused field.
 */
import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ConfigError, ConfigIssue, DiscoverySourceInput, ListenerInput, ProxyConfig, ProxyConfigInput, UpstreamTlsConfig, validateProxyConfig } from '../../config';

type UpstreamTlsInput = UpstreamTlsConfig;
import { PropsError } from '../errors';
import { TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY } from '../gateway-tls';
import type { ResolvedAppProps, ResolvedGateway } from '../resolved-props';
import { DEFAULTS } from './defaults';
import { BACKEND_CA_FILE, GATEWAY_TLS_DIR } from './proxy-container';

/** Where the proxy listens, and the props that set it, for messages. */
export interface ListenerSpec {
  readonly listener: ListenerInput;
  readonly adminPort: number;
  /** The prop behind `listener.port`, e.g. `gateway.port`. */
  readonly portProp: string;
  /** The prop behind `admin.port`, e.g. `proxy.adminPort`. */
  readonly adminPortProp: string;
}

/** Fractional and NaN amounts pass through, for the validation to report them with the prop; cdk8s would throw. */
const ms = (d: Duration | undefined): number | undefined => d?.toMilliseconds({ integral: false });

/** Drops `undefined` fields, so the schema's defaults apply; keeps NaN and Infinity, for the error to show them. */
function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(compact) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = compact(v);
  return out as T;
}

/** `upstream.tls`: the CA bundle where the proxy container mounts it (proxy-container.ts), and the SNI name. */
function upstreamTls(app: ResolvedAppProps): UpstreamTlsInput | undefined {
  const tls = app.backendTls;
  if (tls === undefined) return undefined;
  return { caFile: tls.source === undefined ? undefined : BACKEND_CA_FILE, serverName: tls.serverName };
}

/**
 * The gateway's listener: the protocol's, on the gateway's port, with TLS from the mounted Secret and the
 * connection age limit. Sidecars and the smoke test listen without either (see their callers).
 */
export function gatewayListener(app: ResolvedAppProps, gateway: ResolvedGateway | undefined, withTls = true): ListenerInput {
  const base = app.protocol.listener('0.0.0.0', gateway?.port ?? DEFAULTS.GatewayOptions.port);
  if (base.protocol === 'tcp' || gateway === undefined) return base;
  const tls = withTls ? gateway.tls : undefined;
  return {
    ...base,
    tls: tls && {
      certFile: `${GATEWAY_TLS_DIR}/${TLS_CERT_KEY}`,
      keyFile: `${GATEWAY_TLS_DIR}/${TLS_PRIVATE_KEY_KEY}`,
      minVersion: tls.minVersion,
      reloadCheckMs: ms(tls.reloadCheck),
    },
    maxConnectionAgeMs: ms(gateway.maxConnectionAge),
  };
}

/** The config input, before validation: what the props set, and nothing the schema would default. */
export function balancerConfigInput(app: ResolvedAppProps, sources: readonly DiscoverySourceInput[], spec: ListenerSpec): ProxyConfigInput {
  const { healthCheck: hc, outlierDetection: od, retries: rt, timeouts: to, proxy } = app;
  return compact<ProxyConfigInput>({
    version: 1,
    listener: spec.listener,
    admin: { host: '0.0.0.0', port: spec.adminPort },
    upstream: { name: app.name, port: app.balancedPort.number, sources: [...sources], trafficSplit: app.trafficSplit, tls: upstreamTls(app) },
    algorithm: app.algorithm.toConfig(),
    healthCheck: hc && {
      path: hc.path,
      grpcService: hc.grpcService,
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
    slowStart: app.slowStart && {
      windowMs: app.slowStart.window.toMilliseconds(),
      aggression: app.slowStart.aggression,
      minWeightPercent: app.slowStart.minWeightPercent,
    },
    zoneAware: app.zoneAware === undefined || app.zoneAware === false ? undefined : app.zoneAware === true ? {} : { zone: app.zoneAware.zone },
  });
}

/** The prop behind a config field, and the fix in the props' words where the config's own would mislead. */
export interface Origin {
  readonly prop: string;
  readonly fix?: string;
}

/** Config fields whose prop has the same dotted path, or a path with the `Ms` suffix dropped. */
const SAME_PATH = /^(healthCheck\.(path|grpcService|healthyThreshold|unhealthyThreshold)|outlierDetection\.(consecutiveFailures|maxEjectionPercent)|retries\.(attempts|retryOn(\.\d+)?))$/;
const DURATION_PATH = /^(healthCheck\.(interval|timeout)|outlierDetection\.(baseEjection|maxEjection)|timeouts\.(connect|request|idle|clientIdle))Ms$/;
/** Top-level fields set from `proxy`. */
const PROXY_FIELDS: Readonly<Record<string, string>> = {
  shutdownDelayMs: 'proxy.shutdownDelay',
  drainMs: 'proxy.drain',
  'logging.accessLog': 'proxy.accessLog',
  'logging.level': 'proxy.accessLog',
  'slowStart.windowMs': 'slowStart.window',
  'slowStart.aggression': 'slowStart.aggression',
  'slowStart.minWeightPercent': 'slowStart.minWeightPercent',
  'zoneAware.zone': 'zoneAware.zone',
  zoneAware: 'zoneAware (with discovery)',
  'listener.tls': 'gateway.tls (with protocol)',
  'listener.tls.certFile': 'gateway.tls',
  'listener.tls.keyFile': 'gateway.tls',
  'listener.tls.minVersion': 'gateway.tls GatewayTls({ minVersion })',
  'listener.tls.reloadCheckMs': 'gateway.tls GatewayTls({ reloadCheck })',
  'listener.maxConnectionAgeMs': 'gateway.maxConnectionAge',
  'upstream.tls': 'backendTls',
  'upstream.tls.caFile': 'backendTls',
  'upstream.tls.serverName': 'backendTls ({ serverName })',
};
/** Fields the constructs write themselves, from the props named. */
const DERIVED: Readonly<Record<string, string>> = {
  'version': 'the constructs (report a bug)',
  'upstream.name': 'name',
  'upstream.port': 'balancedPort (and container.ports)',
  'admin.host': 'the constructs (report a bug)',
};
/** `algorithm.<field>` → the factory option it comes from; `Ms` fields come from a Duration of the same name. */
const ALGORITHM_OPTIONS: Readonly<Record<string, string>> = {
  'decayMs': 'decay',
  'defaultRttMs': 'defaultRtt',
  'failurePenaltyMs': 'failurePenalty',
  'loadFactor': 'loadFactor',
  'virtualNodes': 'virtualNodes',
  'header': 'header',
  'staleAfterMs': 'staleAfter',
  'key.source': 'header | cookie | sourceIp',
};

const factoryOf = (kind: string): string => `Algorithm.${kind.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())}`;

/**
 * The prop behind a config field: `algorithm.decayMs` → `algorithm Algorithm.peakEwma({ decay })`. Undefined only
 * for a field no prop writes, which test/constructs/config-errors.test.ts proves does not happen.
 */
export function configFieldOrigin(path: string, spec: ListenerSpec, algorithmKind: string, input?: ProxyConfigInput, trafficSplitProp = 'trafficSplit'): Origin | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^upstream\.sources\.(\d+)\.weight$/.exec(path))) return { prop: `subsets[${m[1]}].weight`, fix: 'use a weight > 0; remove the subset to send it no traffic' };
  if ((m = /^upstream\.sources\.(\d+)(\..+)?$/.exec(path))) return { prop: `subsets[${m[1]}] (its discovery)`, fix: `the discovery source of the subset has a bad ${m[2]?.slice(1) ?? 'entry'}` };
  if ((m = /^upstream\.trafficSplit(?:\.(.+))?$/.exec(path))) {
    return { prop: m[1] ? `${trafficSplitProp}.${m[1]}` : trafficSplitProp, fix: 'give every declared subset a share >= 0, e.g. { stable: 90, canary: 10 } (0 drains a subset)' };
  }
  if (path === 'algorithm.key.name') {
    const key = input?.algorithm && 'key' in input.algorithm ? (input.algorithm.key as { source?: string }).source : undefined;
    return { prop: `algorithm ${factoryOf(algorithmKind)}({ ${key === 'cookie' ? 'cookie' : 'header'} })` };
  }
  if ((m = /^algorithm\.(.+)$/.exec(path))) {
    const option = m[1] === 'kind' ? undefined : ALGORITHM_OPTIONS[m[1]];
    return { prop: option === undefined ? `algorithm ${factoryOf(algorithmKind)}()` : `algorithm ${factoryOf(algorithmKind)}({ ${option} })` };
  }
  if (path === 'listener.protocol') return { prop: 'protocol' };
  if (/^listener\.(port|host)$/.test(path)) return { prop: path === 'listener.port' ? spec.portProp : `${spec.portProp} (and protocol)` };
  if (path === 'admin.port') return { prop: spec.adminPortProp };
  if (path === 'retries.budget.ratio') return { prop: 'retries.budgetRatio' };
  if (SAME_PATH.test(path)) return { prop: path.replace(/\.\d+$/, '') };
  if ((m = DURATION_PATH.exec(path))) return { prop: m[1] };
  const named = PROXY_FIELDS[path] ?? DERIVED[path];
  return named === undefined ? undefined : { prop: named };
}

/** A value as written in TypeScript: NaN and Infinity are not JSON's `null`. */
function asWritten(value: unknown): string | undefined {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : undefined;
}

function valueAt(root: unknown, path: string): unknown {
  let cur = root;
  for (const key of path.split('.')) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  return cur;
}

function describe(issue: ConfigIssue, spec: ListenerSpec, input: ProxyConfigInput, trafficSplitProp: string): string {
  const written = asWritten(valueAt(input, issue.path));
  const message = written === undefined ? issue.message : issue.message.replace('(got null)', `(got ${written})`);
  const origin = issue.path === '' ? undefined : configFieldOrigin(issue.path, spec, String(input.algorithm?.kind ?? 'round-robin'), input, trafficSplitProp);
  if (origin === undefined) return `  - ${issue.path || '(root)'}: ${message}`;
  return `  - ${issue.path} (from ${origin.prop}): ${message}${origin.fix ? `; fix: ${origin.fix}` : ''}`;
}

/**
 * Builds and validates the config; a bad one throws `LB_CONFIG_INVALID` naming the construct path, every bad field
 * with the prop behind it and its value, and the fix.
 */
export function buildBalancerConfig(scope: IConstruct, app: ResolvedAppProps, sources: readonly DiscoverySourceInput[], spec: ListenerSpec): ProxyConfig {
  if (app.algorithm.problem) throw new PropsError('LB_CONFIG_INVALID', scope.node.path, app.algorithm.problem);
  const input = balancerConfigInput(app, sources, spec);
  try {
    return validateProxyConfig(input);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new PropsError(
      'LB_CONFIG_INVALID',
      scope.node.path,
      `the balancer config would be refused by the proxy; fix the props behind these fields:\n${e.issues.map((i) => describe(i, spec, input, app.trafficSplitProp)).join('\n')}`,
    );
  }
}

/** The config as written into the ConfigMap: stable key order, two-space indent, trailing newline. */
export function serializeConfig(config: ProxyConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}
