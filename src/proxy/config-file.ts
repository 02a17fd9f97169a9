/**
 * Reading the config at startup: the file, then the SAME validation the constructs run at synth time, then freeze.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ConfigError, ProxyConfig, validateProxyConfig } from '../config';

// The config is parsed once per process: zod's compiled fast path (`new Function` per schema) costs more at start-up
// than the one parse it would speed up.
z.config({ jitless: true });

export const ENV_DNS_SERVERS = 'LB_DNS_SERVERS';

/** Reads, parses, validates and freezes; throws ConfigError (code LB_CONFIG_INVALID / LB_CONFIG_VERSION). */
export function loadConfigFile(path: string): ProxyConfig {
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
  return validateProxyConfig(json);
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
