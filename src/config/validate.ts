/**
 * The one validation function both sides run: the constructs at synth time, the proxy at startup.
 */
import * as z from 'zod';
import { listenerProtocolIssues } from './listener-checks';
import { CONFIG_VERSION, ProxyConfig, ProxyConfigSchema } from './schema';

export type ConfigErrorCode = 'LB_CONFIG_INVALID' | 'LB_CONFIG_VERSION';

export interface ConfigIssue {
  /** Dotted path of the bad field, e.g. `algorithm.key`. Empty for the whole file. */
  readonly path: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** Thrown for a config the proxy would refuse. `message` lists every issue, one per line. */
export class ConfigError extends Error {
  constructor(
    readonly code: ConfigErrorCode,
    readonly issues: readonly ConfigIssue[],
    where = 'proxy config',
  ) {
    super(`${code}: ${where} is invalid:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Fix hints for the mistakes people make; keyed by the path with array indexes removed. */
const HINTS: Record<string, string> = {
  'algorithm.key':
    'consistent hashing needs a key: { source: "header", name } or { source: "cookie", name } or { source: "source-ip" }',
  'upstream.sources': 'give at least one discovery source: { kind: "dns", hostname } or { kind: "static", endpoints }',
  'upstream.trafficSplit': 'give each declared subset a share >= 0, e.g. { stable: 90, canary: 10 }; 0 drains a subset',
};

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function toIssue(input: unknown, issue: z.core.$ZodIssue): ConfigIssue {
  const path = issue.path.map(String).join('.');
  const moved = issue.code === 'unrecognized_keys' && path === 'algorithm' && issue.keys.includes('subsetWeights');
  const hint = moved
    ? 'subset weights moved to upstream.trafficSplit, where they are shares of traffic per subset whatever the endpoint counts'
    : HINTS[issue.path.filter((p) => typeof p !== 'number').join('.')];
  const got = issue.code === 'unrecognized_keys' ? '' : ` (got ${describeValue(valueAt(input, issue.path))})`;
  return { path, message: `${issue.message}${got}${hint ? `; fix: ${hint}` : ''}` };
}

/** Rules that span fields, which the schema alone cannot say. */
function crossFieldIssues(c: ProxyConfig): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const subsets = new Set(c.upstream.sources.map((s) => s.subset));
  out.push(...trafficSplitIssues(c.upstream.trafficSplit, subsets));
  out.push(...listenerProtocolIssues(c));
  if (c.zoneAware && !c.upstream.sources.some((s) => s.kind === 'endpoint-slices')) {
    out.push({
      path: 'zoneAware',
      message: 'zone-aware routing needs to know the endpoints\' zones, and only endpoint-slices discovery does; use an endpoint-slices source, or remove zoneAware',
    });
  }
  if (c.admin.port === c.listener.port) {
    out.push({
      path: 'admin.port',
      message: `admin port ${c.admin.port} collides with listener.port; choose another port for one of them`,
    });
  }
  if (c.healthCheck && c.healthCheck.timeoutMs >= c.healthCheck.intervalMs) {
    out.push({
      path: 'healthCheck.timeoutMs',
      message: `timeout ${c.healthCheck.timeoutMs} ms must be shorter than intervalMs ${c.healthCheck.intervalMs} ms`,
    });
  }
  if (c.outlierDetection.baseEjectionMs > c.outlierDetection.maxEjectionMs) {
    out.push({
      path: 'outlierDetection.baseEjectionMs',
      message: `${c.outlierDetection.baseEjectionMs} ms is above maxEjectionMs ${c.outlierDetection.maxEjectionMs} ms`,
    });
  }
  return out;
}

/** A split names every declared subset, and only those, and sends traffic somewhere. */
function trafficSplitIssues(split: Readonly<Record<string, number>> | undefined, subsets: ReadonlySet<string>): ConfigIssue[] {
  if (split === undefined) return [];
  const out: ConfigIssue[] = [];
  const known = [...subsets].join(', ');
  for (const name of Object.keys(split)) {
    if (!subsets.has(name)) {
      out.push({
        path: `upstream.trafficSplit.${name}`,
        message: `names subset "${name}", which no discovery source declares; known subsets: ${known}`,
      });
    }
  }
  for (const name of subsets) {
    if (!(name in split)) {
      out.push({
        path: `upstream.trafficSplit.${name}`,
        message: `subset "${name}" has no share; give every subset one (0 sends it no requests)`,
      });
    }
  }
  if (out.length === 0 && Object.values(split).every((w) => w === 0)) {
    out.push({ path: 'upstream.trafficSplit', message: 'every share is 0, so no request could be sent; give one subset a share > 0' });
  }
  return out;
}

function versionIssue(input: unknown): ConfigError | undefined {
  const v = input !== null && typeof input === 'object' ? (input as { version?: unknown }).version : undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v > CONFIG_VERSION) {
    return new ConfigError('LB_CONFIG_VERSION', [
      {
        path: 'version',
        message: `config version ${v} is newer than this proxy understands (${CONFIG_VERSION}); upgrade the proxy bundle or image`,
      },
    ]);
  }
  return undefined;
}

export type ValidationResult =
  | { readonly ok: true; readonly config: ProxyConfig }
  | { readonly ok: false; readonly error: ConfigError };

/** Validates and defaults a config without throwing. */
export function checkProxyConfig(input: unknown): ValidationResult {
  const versionError = versionIssue(input);
  if (versionError) return { ok: false, error: versionError };
  const parsed = ProxyConfigSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, error: new ConfigError('LB_CONFIG_INVALID', parsed.error.issues.map((i) => toIssue(input, i))) };
  }
  const cross = crossFieldIssues(parsed.data);
  if (cross.length > 0) return { ok: false, error: new ConfigError('LB_CONFIG_INVALID', cross) };
  return { ok: true, config: parsed.data };
}

/** Deep-freezes a value in place, so a running proxy cannot change its own config by accident. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/**
 * Validates, defaults and freezes a proxy config. Throws a {@link ConfigError} naming every bad field.
 */
export function validateProxyConfig(input: unknown): ProxyConfig {
  const result = checkProxyConfig(input);
  if (!result.ok) throw result.error;
  return deepFreeze(result.config);
}

/** The JSON Schema of the config file (draft 2020-12), for editors and other tools. */
export function proxyConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ProxyConfigSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
