/**
 * A request's HTTP/2 header list, checked (RFC 9113 8.2 and 8.3) and split into its pseudo-headers and the regular
 * fields, the latter shaped as HTTP/1.1 carries them (cookie crumbs joined). A malformed request is a stream error:
 * the session resets that stream with PROTOCOL_ERROR and the connection goes on.
 */
import { validFieldName, validFieldValue } from '../http/h2-headers';

export interface RequestFields {
  method: string;
  scheme: string;
  authority: string | undefined;
  path: string;
  /** Regular fields, flat; `host` added from :authority when absent. */
  fields: string[];
  /** The content-length the client declared, or -1. */
  contentLength: number;
  /** `te: trailers` was sent. */
  teTrailers: boolean;
}

const FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings']);

/** Fills `r` from `list`; returns what is malformed, or undefined. */
export function readRequestFields(list: readonly string[], r: RequestFields): string | undefined {
  let method: string | undefined;
  let scheme: string | undefined;
  let path: string | undefined;
  let authority: string | undefined;
  let regular = false;
  let host = false;
  let cookie: string | undefined;
  const fields: string[] = [];
  r.contentLength = -1;
  r.teTrailers = false;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i];
    const value = list[i + 1];
    if (name.charCodeAt(0) === 58 /* : */) {
      if (regular) return `pseudo-header ${name} after a regular field`;
      switch (name) {
        case ':method':
          if (method !== undefined || value === '') return 'a repeated or empty :method';
          method = value;
          break;
        case ':scheme':
          if (scheme !== undefined || value === '') return 'a repeated or empty :scheme';
          scheme = value;
          break;
        case ':path':
          if (path !== undefined || value === '') return 'a repeated or empty :path';
          path = value;
          break;
        case ':authority':
          if (authority !== undefined) return 'a repeated :authority';
          authority = value;
          break;
        default:
          return `pseudo-header ${name}`;
      }
      if (!validFieldValue(value) || value.includes(' ')) return `the value of ${name}`;
      continue;
    }
    regular = true;
    if (!validFieldName(name)) return `field name "${name}"`;
    if (!validFieldValue(value)) return `the value of ${name}`;
    if (FORBIDDEN.has(name)) return `connection-specific field ${name}`;
    switch (name) {
      case 'te':
        if (value !== 'trailers') return `te "${value}"`;
        r.teTrailers = true;
        continue;
      case 'cookie':
        cookie = cookie === undefined ? value : `${cookie}; ${value}`;
        continue;
      case 'host':
        host = true;
        break;
      case 'content-length': {
        if (!/^[0-9]{1,15}$/.test(value)) return `content-length "${value}"`;
        const n = Number(value);
        if (r.contentLength >= 0 && r.contentLength !== n) return 'conflicting content-length fields';
        if (r.contentLength >= 0) continue;
        r.contentLength = n;
        break;
      }
      default:
        break;
    }
    fields.push(name, value);
  }
  if (method === undefined) return 'no :method';
  if (method === 'CONNECT') return 'CONNECT, which this proxy does not tunnel over HTTP/2';
  if (scheme === undefined || path === undefined) return 'no :scheme or :path';
  if (path.charCodeAt(0) !== 47 /* / */ && !(path === '*' && method === 'OPTIONS')) return `:path "${path}"`;
  if (cookie !== undefined) fields.push('cookie', cookie);
  if (!host && authority !== undefined) fields.push('host', authority);
  r.method = method;
  r.scheme = scheme;
  r.path = path;
  r.authority = authority;
  r.fields = fields;
  return undefined;
}
