/**
 * TLS to the endpoints (upstream.tls): the options every upstream connection is made with, shared by the HTTP/1.1
 * pool (ALPN http/1.1) and the HTTP/2 pool (ALPN h2).
 *
 * - The CA bundle (caFile) is read at startup, where a missing file stops the proxy with the fix, and re-read like the
 *   listener's certificate when its mount changes (a rotated CA ConfigMap or Secret); without caFile the system's CAs.
 * - SNI and the name checked in the certificate: serverName when set, else the endpoint's host name; an endpoint given
 *   as an IP gets no SNI (RFC 6066 forbids IPs there) and its certificate must carry that IP.
 * - A handshake is part of the connect: it runs under timeouts.connectMs, and a certificate the proxy does not trust
 *   is a connect failure (retried on another endpoint, counted, and named in the 502 if no endpoint works).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { UpstreamTlsConfig } from '../../config';
import type { Logger } from '../log';
import { MountedFiles, readMountedFiles, TlsFileError } from './mounted-files';

/** ALPN of the HTTP/1.1 pool; the HTTP/2 pool offers ['h2']. */
export const H1_ALPN: readonly string[] = ['http/1.1'];
/** How often a mounted caFile is checked for a change. */
const CA_CHECK_MS = 2_000;
const CA_FIX = 'Mount the CA bundle (PEM) into the proxy container at upstream.tls.caFile, or drop caFile to use the system CAs.';

/**
 * One-shot TLS options for connections to `host` (reads caFile now, no reloads): for a pool that needs nothing more.
 * A long-running pool should hold an {@link UpstreamTls}, whose CA follows the mounted file.
 */
export function upstreamTlsOptions(c: UpstreamTlsConfig, alpn: readonly string[], host?: string): tls.ConnectionOptions {
  const ca = c.caFile === undefined ? undefined : readMountedFiles([c.caFile], 'upstream TLS', CA_FIX)[0];
  return connectOptions(c, tls.createSecureContext(ca ? { ca } : {}), alpn, host);
}

function connectOptions(c: UpstreamTlsConfig, ctx: tls.SecureContext, alpn: readonly string[], host?: string): tls.ConnectionOptions {
  const servername = c.serverName ?? (host === undefined || net.isIP(host) !== 0 ? undefined : host);
  return { secureContext: ctx, servername, ALPNProtocols: [...alpn], rejectUnauthorized: true };
}

export interface UpstreamTlsDeps {
  readonly log: Logger;
  /** After each change seen in caFile: the new bundle is in service (`ok`), or was refused (`error`). */
  readonly onReload?: (result: 'ok' | 'error') => void;
}

/** The upstream TLS settings in service, with the CA bundle kept current. */
export class UpstreamTls {
  private ctx: tls.SecureContext;
  private readonly files: MountedFiles | undefined;

  /** Throws a TlsFileError naming caFile when it cannot be read or holds no usable certificate. */
  public constructor(
    private readonly c: UpstreamTlsConfig,
    d: UpstreamTlsDeps,
  ) {
    if (c.caFile === undefined) {
      this.ctx = tls.createSecureContext({});
      return;
    }
    const caFile = c.caFile;
    const [ca] = readMountedFiles([caFile], 'upstream TLS', CA_FIX);
    try {
      this.ctx = caContext(ca);
    } catch (err) {
      throw new TlsFileError(`upstream TLS: ${caFile} is not a PEM CA bundle (${(err as Error).message}). ${CA_FIX}`);
    }
    this.files = new MountedFiles(
      {
        files: [caFile],
        checkMs: CA_CHECK_MS,
        what: 'upstream TLS CA bundle',
        fix: 'update the mounted caFile with PEM CA certificates',
        apply: ([pem]) => {
          this.ctx = caContext(pem);
          d.log.info('upstream TLS CA bundle reloaded: new connections check endpoints against it', { caFile });
        },
        onReload: d.onReload,
        log: d.log,
      },
      [ca],
    );
    this.files.start();
  }

  /** TLS options for a connection to `host` offering `alpn` (spread `{ host, port }` in, or use {@link connect}). */
  public options(host: string, alpn: readonly string[]): tls.ConnectionOptions {
    return connectOptions(this.c, this.ctx, alpn, host);
  }

  public connect(host: string, port: number, alpn: readonly string[] = H1_ALPN): tls.TLSSocket {
    return tls.connect({ ...this.options(host, alpn), host, port }).setNoDelay(true);
  }

  /** Checks caFile now (tests; a timer does it otherwise). */
  public recheck(): Promise<void> {
    return this.files?.check() ?? Promise.resolve();
  }

  public stop(): void {
    this.files?.stop();
  }
}

/** A context trusting exactly the certificates in `pem`; throws when it holds none. */
function caContext(pem: Buffer): tls.SecureContext {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no "-----BEGIN CERTIFICATE-----" block');
  return tls.createSecureContext({ ca: pem });
}

/** Certificate verification codes (OpenSSL's, as Node reports them) in words a person acts on. */
const VERIFY_ERRORS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate signed by unknown authority',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate signed by unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate signed by unknown authority',
  SELF_SIGNED_CERT_IN_CHAIN: 'certificate signed by unknown authority',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'certificate signed by unknown authority (self-signed)',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid',
  CERT_REVOKED: 'certificate revoked',
  CERT_SIGNATURE_FAILURE: 'certificate signature invalid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not name the server',
  ERR_SSL_WRONG_VERSION_NUMBER: 'handshake failed: the endpoint does not seem to speak TLS',
};

/**
 * What a failed TLS connect means, for the client's 502 and the logs, e.g.
 * `upstream TLS: certificate signed by unknown authority (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the
 * first certificate)`. Undefined for errors that are not about TLS.
 */
export function describeTlsFailure(err: NodeJS.ErrnoException): string | undefined {
  const code = err.code ?? '';
  const words = VERIFY_ERRORS[code] ?? (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') ? 'handshake failed' : undefined);
  return words === undefined ? undefined : `upstream TLS: ${words} (${code}: ${err.message.split('\n')[0]})`;
}
