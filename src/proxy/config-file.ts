/**
 * Reading the config at startup: the file, then the SAME validation the constructs run at synth time, then freeze.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ConfigError, ProxyConfig, validateProxyConfig } from '../config';
import { POD_NAMESPACE_REF } from '../config/discovery';

// The config is parsed once per process: zod's compiled fast path (`new Function` per schema) costs more at start-up
// than the one parse it would speed up.
z.config({ jitless: true });

export const ENV_DNS_SERVERS = 'LB_DNS_SERVERS';

/** A DNS label: what a namespace name is. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Replaces `$(POD_NAMESPACE)` in DNS host names with the pod's namespace from `env`; a config that uses it in a
 * process without a valid POD_NAMESPACE is refused, since the proxy would otherwise look up a name that cannot exist.
 */
export function expandPodNamespace(json: unknown, env: NodeJS.ProcessEnv, file: string): unknown {
  const sources = (json as { upstream?: { sources?: unknown } } | null)?.upstream?.sources;
  if (!Array.isArray(sources)) return json;
  const ns = env.POD_NAMESPACE;
  sources.forEach((s: unknown, i) => {
    const source = s as { kind?: unknown; hostname?: unknown; namespace?: unknown } | null;
    if (source === null || typeof source !== 'object') return;
    // An endpoint-slices source without a namespace means the pod's own: the schema's default is the variable.
    if (source.kind === 'endpoint-slices' && source.namespace === undefined) source.namespace = POD_NAMESPACE_REF;
    for (const field of ['hostname', 'namespace'] as const) {
      const value = source[field];
      if (typeof value !== 'string' || !value.includes(POD_NAMESPACE_REF)) continue;
      if (ns === undefined || !NAMESPACE.test(ns)) {
        throw new ConfigError(
          'LB_CONFIG_INVALID',
          [
            {
              path: `upstream.sources.${i}.${field}`,
              message: `${JSON.stringify(value)} needs the pod's namespace, but env POD_NAMESPACE is ${ns === undefined ? 'not set' : JSON.stringify(ns)}; fix: set POD_NAMESPACE from the downward API (valueFrom.fieldRef.fieldPath: metadata.namespace), as the cdk8s-balancer constructs do`,
            },
          ],
          file,
        );
      }
      source[field] = value.replaceAll(POD_NAMESPACE_REF, ns);
    }
  });
  return json;
}

/** Reads, parses, validates and freezes; throws ConfigError (code LB_CONFIG_INVALID / LB_CONFIG_VERSION). */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): ProxyConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('LB_CONFIG_INVALID', [{ path: '', message: `cannot read ${path}: ${(err as Error).message}` }], path);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('LB_CONFIG_INVALID', [{ path: '', message: `not JSON: ${(err as Error).message}` }], path);
  }
  return validateProxyConfig(expandPodNamespace(json, env, path));
}

/** LB_DNS_SERVERS="10.96.0.10,127.0.0.1:5353" -> ["10.96.0.10", "127.0.0.1:5353"]; undefined when unset or empty. */
export function dnsServersFromEnv(env: NodeJS.ProcessEnv): string[] | undefined {
  const v = env[ENV_DNS_SERVERS];
  if (!v) return undefined;
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return list.length > 0 ? list : undefined;
}
