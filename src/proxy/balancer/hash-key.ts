/**
 * Extracting a request's hash key for consistent hashing: a header, a cookie, or the client's address.
 *
 * - header: looked up case-insensitively (Node lowercases incoming names, but callers may pass any record); several
 *   values of one header are joined with ", " as HTTP would fold them.
 * - cookie: parsed from the Cookie header(s) by hand (RFC 6265 §5.4 "cookie-string": pairs separated by ";", name and
 *   value split at the first "="), whitespace trimmed and one pair of surrounding double quotes removed. The first
 *   pair with the name wins.
 * - source-ip: the socket's remote address, with IPv4-mapped IPv6 (::ffff:10.0.0.1) reduced to the IPv4 form, so one
 *   client hashes the same on a dual-stack listener.
 *
 * An empty value counts as no key: the balancer then uses its keyless fallback rather than sending every such request
 * to the one endpoint that owns the hash of "".
 */
import type { HashKey } from '../../config/algorithm';

export type HeaderRecord = Readonly<Record<string, string | string[] | undefined>>;

export function extractHashKey(
  key: HashKey,
  headers: HeaderRecord,
  remoteAddress: string | undefined,
): string | undefined {
  switch (key.source) {
    case 'header':
      return nonEmpty(joinHeader(header(headers, key.name), ', '));
    case 'cookie':
      return nonEmpty(cookieValue(joinHeader(header(headers, 'cookie'), '; '), key.name));
    case 'source-ip':
      return nonEmpty(remoteAddress === undefined ? undefined : unmapIpv4(remoteAddress));
    default:
      return unreachable(key);
  }
}

/** The value of `name` in a Cookie header value, or undefined. */
export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  if (cookieHeader === undefined) return undefined;
  let start = 0;
  const len = cookieHeader.length;
  while (start < len) {
    let end = cookieHeader.indexOf(';', start);
    if (end < 0) end = len;
    const eq = cookieHeader.indexOf('=', start);
    if (eq >= 0 && eq < end && cookieHeader.slice(start, eq).trim() === name) {
      let value = cookieHeader.slice(eq + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
    start = end + 1;
  }
  return undefined;
}

function header(headers: HeaderRecord, name: string): string | string[] | undefined {
  const lower = name.toLowerCase();
  const direct = headers[lower];
  if (direct !== undefined) return direct;
  for (const k of Object.keys(headers)) {
    if (k.toLowerCase() === lower) return headers[k];
  }
  return undefined;
}

function joinHeader(value: string | string[] | undefined, separator: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return value.length === 0 ? undefined : value.join(separator);
}

function unmapIpv4(address: string): string {
  return address.length > 7 && address.slice(0, 7).toLowerCase() === '::ffff:' && address.includes('.')
    ? address.slice(7)
    : address;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function unreachable(key: never): never {
  throw new Error(`LB_HASH_KEY_UNKNOWN: unknown hash key source in ${JSON.stringify(key)}`);
}
