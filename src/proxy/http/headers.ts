/**
 * Header rewriting for an HTTP/1.1 reverse proxy (RFC 9110 section 7.6.1).
 *
 * Hop-by-hop headers describe one connection and never cross the proxy: Connection and every header it names,
 * Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding and Upgrade. Expect is also dropped: the HTTP/1.1 codec answers
 * `100-continue` itself, and each side's framing is written by the codec.
 *
 * The request side works on `rawHeaders` (a flat [name, value, ...] list), so duplicates and case survive, and hands
 * the upstream client a flat list too. One toLowerCase per header name and a switch; no regular expressions.
 */
import { randomBytes } from 'node:crypto';

function isHopByHop(lower: string): boolean {
  switch (lower) {
    case 'connection':
    case 'keep-alive':
    case 'te':
    case 'trailer':
    case 'transfer-encoding':
    case 'upgrade':
    case 'expect':
      return true;
    default:
      return lower.length > 6 && lower.charCodeAt(5) === 45 /* - */ && lower.startsWith('proxy-');
  }
}

/** End-to-end headers a Connection header may not remove: dropping them would change the request's target or framing. */
function isProtected(lower: string): boolean {
  return lower === 'host' || lower === 'content-length';
}

/**
 * Checks the request's Host headers: exactly one (HTTP/1.1 requires it; Node rejects a missing one), and a value that
 * is a plausible authority (RFC 3986 reg-name / IP-literal characters and a port). Two different Hosts are a classic
 * request-smuggling and cache-poisoning vector. Returns a reason to reject, or undefined.
 */
export function hostProblem(raw: readonly string[]): string | undefined {
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length !== 4 || raw[i].toLowerCase() !== 'host') continue;
    if (host !== undefined) return 'more than one Host header';
    host = raw[i + 1];
  }
  if (host === undefined) return undefined;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x30 && c <= 0x3a) || // 0-9 and ':'
      c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e || // - . _ ~
      c === 0x5b || c === 0x5d || c === 0x25 || // [ ] %
      c === 0x21 || c === 0x24 || (c >= 0x26 && c <= 0x2c) || c === 0x3b || c === 0x3d; // sub-delims
    if (!ok) return 'a Host header with characters outside an authority';
  }
  return undefined;
}

/** Lower-cased tokens of a Connection header value, e.g. "keep-alive, X-Foo" -> ["keep-alive", "x-foo"]. */
export function connectionTokens(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  for (const t of value.split(',')) {
    const s = t.trim().toLowerCase();
    if (s) out.push(s);
  }
  return out;
}

export function isHopByHopHeader(name: string, listed: readonly string[] = []): boolean {
  const lower = name.toLowerCase();
  return isHopByHop(lower) || (listed.length > 0 && listed.includes(lower));
}

export interface ForwardInfo {
  readonly remoteAddress: string | undefined;
  readonly proto: 'http' | 'https';
  readonly requestId: string;
}

/**
 * Builds the upstream request headers from the client's raw headers: hop-by-hop removed, X-Forwarded-For appended,
 * X-Forwarded-Proto and X-Forwarded-Host set when absent, X-Request-Id added when absent. Host is kept as sent.
 * With `keepUpgrade`, Upgrade and `Connection: upgrade` are kept (WebSocket hand-off).
 */
export function forwardRequestHeaders(raw: readonly string[], info: ForwardInfo, keepUpgrade = false): string[] {
  let listed: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 10 && raw[i].toLowerCase() === 'connection') {
      listed = (listed ?? []).concat(connectionTokens(raw[i + 1]));
    }
  }
  const out: string[] = [];
  let xff: string | undefined;
  let host: string | undefined;
  let hasProto = false;
  let hasFwdHost = false;
  let hasId = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    const lower = name.toLowerCase();
    if (isHopByHop(lower) || (listed !== undefined && listed.includes(lower) && !isProtected(lower))) {
      if (keepUpgrade && lower === 'upgrade') out.push(name, value);
      continue;
    }
    switch (lower) {
      case 'x-forwarded-for':
        xff = xff === undefined ? value : `${xff}, ${value}`;
        continue;
      case 'host':
        host = value;
        break;
      case 'x-forwarded-proto':
        hasProto = true;
        break;
      case 'x-forwarded-host':
        hasFwdHost = true;
        break;
      case 'x-request-id':
        hasId = true;
        break;
    }
    out.push(name, value);
  }
  if (keepUpgrade) out.push('connection', 'upgrade');
  const client = info.remoteAddress;
  if (client !== undefined) xff = xff === undefined ? client : `${xff}, ${client}`;
  if (xff !== undefined) out.push('x-forwarded-for', xff);
  if (!hasProto) out.push('x-forwarded-proto', info.proto);
  if (!hasFwdHost && host !== undefined) out.push('x-forwarded-host', host);
  if (!hasId) out.push('x-request-id', info.requestId);
  return out;
}

/** Connection values that name no extra header: the usual case, answered without splitting. */
function plainConnection(v: string): boolean {
  const n = v.length;
  return (n === 10 && v.toLowerCase() === 'keep-alive') || (n === 5 && v.toLowerCase() === 'close');
}

/** What the request path needs from the client's head besides the forwarded list. */
export interface RequestHeadScan {
  /** A body is declared: a Content-Length other than "0", or any Transfer-Encoding. */
  withBody: boolean;
  /** The first X-Request-Id the client sent, else ''. */
  givenId: string;
}

/**
 * One pass over the raw request headers for the facts the request path needs, so that `req.headers` (an object
 * Node builds lazily from rawHeaders on first access) is never built for a proxied request. Only names of a
 * matching length are lower-cased.
 */
export function scanRequestHead(raw: readonly string[], out: RequestHeadScan): void {
  out.withBody = false;
  out.givenId = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    switch (name.length) {
      case 12:
        if (out.givenId === '' && name.toLowerCase() === 'x-request-id') out.givenId = raw[i + 1];
        break;
      case 14:
        if (raw[i + 1] !== '0' && name.toLowerCase() === 'content-length') out.withBody = true;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') out.withBody = true;
        break;
    }
  }
}

/** What the response path needs from the upstream head besides the forwarded list. */
export interface ResponseHeadScan {
  /** Content-Length of the upstream response, or -1 when absent (chunked, or until close). */
  contentLength: number;
  /** Value of the load header (least-utilization), when asked for and present. */
  loadValue: string | undefined;
  /** The Transfer-Encoding value as the endpoint sent it (hop-by-hop, so left out of the list), or undefined. */
  transferEncoding: string | undefined;
}

/**
 * Builds the client response's header list from the upstream's raw header list (latin1 strings, as parsed): hop-by-hop
 * headers and the ones Connection lists are dropped, names keep the upstream's case, duplicates stay in order.
 */
export function forwardResponseHeaders(raw: readonly string[], loadHeader: string | undefined, scan: ResponseHeadScan): string[] {
  scan.contentLength = -1;
  scan.loadValue = undefined;
  scan.transferEncoding = undefined;
  let listed: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 17 && raw[i].toLowerCase() === 'transfer-encoding') {
      scan.transferEncoding = scan.transferEncoding === undefined ? raw[i + 1] : `${scan.transferEncoding}, ${raw[i + 1]}`;
    } else if (raw[i].length === 10 && raw[i].toLowerCase() === 'connection') {
      const value = raw[i + 1];
      if (!plainConnection(value)) listed = (listed ?? []).concat(connectionTokens(value));
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (isHopByHop(lower) || (listed !== undefined && listed.includes(lower))) continue;
    const value = raw[i + 1];
    if (lower.length === 14 && lower === 'content-length') scan.contentLength = Number(value);
    else if (loadHeader !== undefined && lower === loadHeader && scan.loadValue === undefined) scan.loadValue = value;
    out.push(name, value);
  }
  return out;
}

/** A message head on the wire: the first line, then `name: value` lines from a flat list, then the empty line. */
export function serializeHead(firstLine: string, list: readonly string[]): string {
  let head = firstLine + '\r\n';
  for (let i = 0; i < list.length; i += 2) head += list[i] + ': ' + list[i + 1] + '\r\n';
  return head + '\r\n';
}

/** A header object (lower-cased names, repeated names as arrays) from a flat list, for the rare readers that want one. */
export function headerRecord(raw: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    const prev = out[k];
    out[k] = prev === undefined ? raw[i + 1] : Array.isArray(prev) ? [...prev, raw[i + 1]] : [prev, raw[i + 1]];
  }
  return out;
}

/** Request ids: a random per-process prefix and a counter; unique enough, and no crypto per request. */
export class RequestIds {
  private readonly prefix = randomBytes(6).toString('hex');
  private n = 0;

  public next(): string {
    this.n++;
    return `${this.prefix}-${this.n.toString(36)}`;
  }
}
