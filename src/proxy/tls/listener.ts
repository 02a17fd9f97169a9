/**
 * TLS termination on the listener: a tls.Server in place of the plain one, handing each connection, once its
 * handshake is done, to the codec its ALPN chose.
 *
 * - ALPN offers `h2` first, then `http/1.1`: a client that speaks both gets HTTP/2 (one connection, every stream
 *   balanced on its own). A client that sends no ALPN goes to the HTTP/1.x codec, which still sniffs the HTTP/2
 *   preface. A client offering only other protocols is refused by Node with a no_application_protocol alert.
 * - The oldest version is listener.tls.minVersion (TLS 1.2 by default): TLS 1.0 and 1.1 get a protocol_version alert.
 * - A handshake must finish within timeouts.headersMs, the time a plain client has for its request head, so a client
 *   that opens connections and never completes a handshake holds no socket for long.
 *
 * Failed handshakes are counted by reason and logged at debug only: on an open port they are routine (scanners,
 * health checkers of load balancers that close after the TCP handshake).
 */
import type * as net from 'node:net';
import * as tls from 'node:tls';
import type { ListenerTlsConfig } from '../../config';
import type { Logger } from '../log';
import type { ProxyMetrics } from '../metrics/registry';
import { CertificateSource } from './certificate';

export const LISTENER_ALPN: readonly string[] = ['h2', 'http/1.1'];

/** Where a connection goes once its handshake is done. */
export interface TlsHandoff {
  http1(socket: tls.TLSSocket): void;
  http2(socket: tls.TLSSocket): void;
}

export interface TlsTerminationDeps {
  readonly log: Logger;
  readonly metrics: ProxyMetrics;
  readonly handshakeTimeoutMs: number;
}

export interface TlsTermination {
  readonly server: tls.Server;
  readonly certificate: CertificateSource;
  /** Stops watching the certificate files (the server is closed by its owner). */
  stop(): void;
  /**
   * Destroys every connection still open, mid-handshake ones included (those belong to no codec yet, and would
   * otherwise hold the server's close for up to the handshake timeout): the last step of a drain.
   */
  destroyAll(): void;
}

/**
 * A tls.Server serving the mounted certificate. Throws a TlsFileError (naming the file and the fix) when the
 * certificate or key cannot be read or used.
 */
export function terminateTls(c: ListenerTlsConfig, d: TlsTerminationDeps, to: TlsHandoff): TlsTermination {
  const certificate = new CertificateSource(c, {
    log: d.log,
    onReload: (result) => d.metrics.tlsReloads.inc({ source: 'listener', result }),
    onCertificate: (info) => d.metrics.tlsCertNotAfter.set({ cert_file: c.certFile }, Math.floor(info.notAfter.getTime() / 1000)),
  });
  const server = tls.createServer(
    {
      ...certificate.secureContextOptions(),
      ALPNProtocols: [...LISTENER_ALPN],
      handshakeTimeout: d.handshakeTimeoutMs,
      noDelay: true,
    },
    (socket) => (socket.alpnProtocol === 'h2' ? to.http2(socket) : to.http1(socket)),
  );
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    const reason = handshakeFailure(err);
    d.metrics.tlsHandshakeErrors.inc({ reason });
    d.log.debug('client TLS handshake failed', { client: socket.remoteAddress, reason, error: err.code ?? err.message });
    socket.destroy();
  });
  const raw = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    raw.add(s);
    s.once('close', () => raw.delete(s));
  });
  certificate.serve(server);
  return {
    server,
    certificate,
    stop: () => certificate.stop(),
    destroyAll: () => {
      for (const s of raw) s.destroy();
    },
  };
}

/** The reason label of a failed client handshake. */
export function handshakeFailure(err: NodeJS.ErrnoException): 'timeout' | 'protocol-version' | 'alpn' | 'closed' | 'other' {
  const code = err.code ?? '';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'timeout';
  if (code === 'ERR_SSL_UNSUPPORTED_PROTOCOL' || code.includes('PROTOCOL_VERSION')) return 'protocol-version';
  if (code.includes('NO_APPLICATION_PROTOCOL')) return 'alpn';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'closed';
  return 'other';
}
