/**
 * The active health check over upstream TLS: the GET of health/active.ts, sent over TLS with the options the pool
 * connects with (CA bundle, SNI, ALPN http/1.1). A plaintext probe would mark every TLS-only endpoint unhealthy, and
 * an endpoint whose certificate the proxy does not trust must fail its checks as it fails its requests.
 *
 * One connection per check (no agent): a check every few seconds per endpoint does not need keep-alive, and a fresh
 * handshake is what proves the certificate is still good (and checks it against a rotated CA bundle).
 */
import * as https from 'node:https';
import { checkGet, Probe } from '../health/active';
import { H1_ALPN, UpstreamTls } from './upstream';

export function tlsProbe(t: UpstreamTls): Probe {
  return (ep, path, timeoutMs) =>
    checkGet(https.request, { ...t.options(ep.address, H1_ALPN), host: ep.address, port: ep.port, path, agent: false }, timeoutMs);
}
