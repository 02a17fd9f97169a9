/**
 * One parsed request head, judged and turned into what the exchange takes: refused here (with the status and the
 * reason the client gets), or forwarded with the head rebuilt (hop-by-hop out, X-Forwarded-* and X-Request-Id in).
 * A request that is the client's fault is refused before any endpoint is chosen, so it is never blamed on one.
 */
import type { RequestHead } from '../downstream';
import { connectionTokens, forwardRequestHeaders, hostProblem, RequestHeadScan, RequestIds, scanRequestHead } from '../http/headers';

/** What the codec learned from llhttp about one request head. */
export interface ParsedRequestHead {
  readonly method: string;
  readonly target: string;
  /** Flat [name, value, ...] list, values trimmed. */
  readonly fields: string[];
  readonly major: number;
  readonly http10: boolean;
  /** llhttp saw `Connection: upgrade` with an Upgrade header (or CONNECT). */
  readonly upgrade: boolean;
  readonly chunked: boolean;
  /** A Transfer-Encoding whose final coding is not chunked. */
  readonly otherCoding: boolean;
  /** The body's length: -1 for chunked, 0 for none. */
  readonly bodyLength: number;
}

/** The router's parts a head needs: request ids and the hash key. */
export interface HeadContext {
  readonly ids: RequestIds;
  hashKeyOf(fields: readonly string[], remoteAddress: string | undefined): string | undefined;
}

/** The client connection, for X-Forwarded-For and the Host of an HTTP/1.0 request that sent none. */
export interface ClientAddress {
  readonly remoteAddress?: string;
  readonly localAddress?: string;
  readonly localPort?: number;
}

export type HeadVerdict =
  | { readonly refuse: readonly [number, string] }
  | { readonly head: RequestHead; readonly expectContinue: boolean };

const scan: RequestHeadScan = { withBody: false, givenId: '' };

export function judgeRequestHead(p: ParsedRequestHead, ctx: HeadContext, client: ClientAddress): HeadVerdict {
  // RFC 9112 6.1: a request whose final coding is not chunked has no knowable length.
  if (p.otherCoding) return { refuse: [501, 'the only request transfer coding understood is a final "chunked"'] };
  const problem = requestProblem(p);
  if (problem !== undefined) return { refuse: problem };
  const fields = p.fields;
  let expectContinue = false;
  let upgrade = false;
  let host = false;
  for (let i = 0; i < fields.length; i += 2) {
    const lower = fields[i].toLowerCase();
    if (lower === 'expect') {
      if (fields[i + 1].toLowerCase() !== '100-continue') return { refuse: [417, `unsupported expectation "${fields[i + 1]}"`] };
      expectContinue = !p.http10 && p.bodyLength !== 0;
    } else if (lower === 'upgrade' && p.upgrade) {
      // h2c is never relayed: it would turn into a tunnel that is no longer parsed or balanced.
      upgrade = !connectionTokens(fields[i + 1]).some((t) => t === 'h2c' || t.startsWith('h2c/'));
    } else if (lower === 'host') {
      host = true;
    }
  }
  if (!host && !p.http10) return { refuse: [400, 'an HTTP/1.1 request needs a Host header'] };
  scanRequestHead(fields, scan);
  const requestId = scan.givenId !== '' ? scan.givenId : ctx.ids.next();
  const headers = forwardRequestHeaders(fields, { remoteAddress: client.remoteAddress, proto: 'http', requestId }, upgrade);
  if (p.chunked) headers.push('transfer-encoding', 'chunked');
  if (!host) headers.push('host', `${client.localAddress}:${client.localPort}`);
  const head: RequestHead = {
    method: p.method,
    target: p.target,
    headers,
    requestId,
    bodyLength: p.bodyLength,
    chunkedBody: p.chunked,
    upgrade,
    hashKey: ctx.hashKeyOf(fields, client.remoteAddress),
  };
  return { head, expectContinue };
}

function requestProblem(p: ParsedRequestHead): [number, string] | undefined {
  if (p.major === 0) return [400, 'HTTP/0.9 is not supported'];
  if (p.major !== 1) return [505, 'this listener speaks HTTP/1.0 and HTTP/1.1'];
  if (p.method === 'CONNECT') return [405, 'CONNECT is not supported: this is a reverse proxy'];
  // Origin-form only: absolute-form is for forward proxies, and asterisk-form (OPTIONS *) has no path to forward.
  if (p.target.charCodeAt(0) !== 47 /* / */) return [400, 'this is a reverse proxy; send an origin-form target such as "/path"'];
  const host = hostProblem(p.fields);
  return host === undefined ? undefined : [400, host];
}
