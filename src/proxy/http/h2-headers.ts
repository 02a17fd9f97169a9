/**
 * Header lists and HTTP/2 header blocks. The proxy keeps headers as flat [name, value, ...] lists (as HTTP/1.1
 * parses them); node:http2 takes and gives objects. Both directions, requests and responses, go through here, so the
 * fields HTTP/2 forbids are left out in one place. Hop-by-hop fields were already taken out when the list was built
 * (forwardRequestHeaders, forwardResponseHeaders); what can be left is framing the other side added back.
 */
import type * as http2 from 'node:http2';

/** Connection-specific fields HTTP/2 forbids (RFC 9113 8.2.2). `te` is allowed in a request when it says "trailers". */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'te']);

/**
 * Adds a header list to an HTTP/2 header block: names lower-case, repeated names as arrays, connection-specific
 * fields left out. `request`: Host becomes :authority, and `te: trailers` is kept.
 */
export function toHeaderBlock(list: readonly string[], block: http2.OutgoingHttpHeaders, request = false): http2.OutgoingHttpHeaders {
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i].toLowerCase();
    const value = list[i + 1];
    if (request && name === 'host') {
      block[':authority'] = value;
      continue;
    }
    if (CONNECTION_SPECIFIC.has(name) && !(request && name === 'te' && value.toLowerCase() === 'trailers')) continue;
    const prev = block[name];
    if (prev === undefined) block[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else block[name] = [String(prev), value];
  }
  return block;
}

/** An HTTP/2 header block as a flat [name, value, ...] list without pseudo-headers. */
export function flatten(headers: http2.IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* : */) continue;
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push(name, x);
    else out.push(name, String(v));
  }
  return out;
}
