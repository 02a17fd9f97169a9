/**
 * The listener's certificate: the PEM pair of a mounted kubernetes.io/tls Secret (tls.crt, tls.key).
 *
 * At startup a missing or unusable pair stops the proxy with a TlsFileError that names the files and the fix: a
 * gateway that cannot terminate TLS must not become ready. Afterwards a rotated pair (see mounted-files.ts) is built
 * into a SecureContext first, which throws on bad PEM or a key that does not match the certificate; only a pair that
 * builds goes to `server.setSecureContext`. New handshakes then use it; open connections keep the session they
 * negotiated, so a rotation drops nothing.
 */
import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import type { ListenerTlsConfig } from '../../config';
import type { Logger } from '../log';
import { MountedFiles, readMountedFiles, TlsFileError } from './mounted-files';

export const SECRET_FIX =
  'Mount the kubernetes.io/tls Secret (keys tls.crt and tls.key) into the proxy container, and point ' +
  'listener.tls.certFile and listener.tls.keyFile at the mounted tls.crt and tls.key.';

export interface CertificateInfo {
  readonly subject: string;
  readonly fingerprint256: string;
  readonly notAfter: Date;
}

export interface CertificateSourceOptions {
  readonly log: Logger;
  /** After each change seen in the files: the new pair serves (`ok`), or was refused (`error`). */
  readonly onReload?: (result: 'ok' | 'error') => void;
  /** The certificate in service, at startup and after each rotation. */
  readonly onCertificate?: (info: CertificateInfo) => void;
}

/** The first certificate of a PEM chain (the leaf), described for logs and the expiry gauge. */
export function describeCertificate(pem: Buffer): CertificateInfo {
  const x = new X509Certificate(pem);
  return { subject: x.subject.replace(/\n/g, ', '), fingerprint256: x.fingerprint256, notAfter: new Date(x.validTo) };
}

export class CertificateSource {
  private pair: { cert: Buffer; key: Buffer };
  private info: CertificateInfo;
  private server: tls.Server | undefined;
  private readonly files: MountedFiles;

  /** Reads and checks the pair now; throws a TlsFileError naming the file, the problem and the fix. */
  public constructor(
    private readonly c: ListenerTlsConfig,
    private readonly o: CertificateSourceOptions,
  ) {
    const [cert, key] = readMountedFiles([c.certFile, c.keyFile], 'listener TLS', SECRET_FIX);
    try {
      this.info = this.check(cert, key);
    } catch (err) {
      const e = err as Error & { code?: string };
      throw new TlsFileError(
        `listener TLS: ${c.certFile} and ${c.keyFile} are not a usable certificate and key ` +
          `(${e.code ? `${e.code}: ` : ''}${e.message}). ${SECRET_FIX}`,
      );
    }
    this.pair = { cert, key };
    this.files = new MountedFiles(
      {
        files: [c.certFile, c.keyFile],
        checkMs: c.reloadCheckMs,
        what: 'listener TLS certificate',
        fix: 'update the Secret with a matching PEM pair: tls.crt (certificate chain, leaf first) and tls.key (its key)',
        apply: ([cert, key]) => this.rotate(cert, key),
        onReload: o.onReload,
        log: o.log,
      },
      [cert, key],
    );
    o.log.info('listener TLS: serving the mounted certificate', { certFile: c.certFile, minVersion: c.minVersion, ...fields(this.info) });
    this.inService(this.info);
  }

  /** Options for tls.createServer and setSecureContext: the pair in service and the oldest version allowed. */
  public secureContextOptions(): tls.SecureContextOptions {
    return { cert: this.pair.cert, key: this.pair.key, minVersion: this.c.minVersion };
  }

  public get certificate(): CertificateInfo {
    return this.info;
  }

  /** Rotations go to this server from now on; starts watching the files. */
  public serve(server: tls.Server): void {
    this.server = server;
    this.files.start();
  }

  public stop(): void {
    this.files.stop();
  }

  /** Checks the files now (tests; the watch and the timer call it otherwise). */
  public recheck(): Promise<void> {
    return this.files.check();
  }

  /** Throws unless the pair builds a context (key matches, PEM parses) and the leaf parses as X.509. */
  private check(cert: Buffer, key: Buffer): CertificateInfo {
    tls.createSecureContext({ cert, key, minVersion: this.c.minVersion });
    return describeCertificate(cert);
  }

  private rotate(cert: Buffer, key: Buffer): void {
    const info = this.check(cert, key);
    this.server?.setSecureContext({ cert, key, minVersion: this.c.minVersion });
    this.pair = { cert, key };
    this.info = info;
    this.o.log.info('listener TLS certificate rotated: new handshakes use it, open connections keep theirs', fields(info));
    this.inService(info);
  }

  private inService(info: CertificateInfo): void {
    // Node serves an expired certificate without a word; every client will refuse it.
    if (info.notAfter.getTime() < Date.now()) {
      this.o.log.warn('listener TLS certificate has expired: clients will refuse it', { certFile: this.c.certFile, ...fields(info) });
    }
    this.o.onCertificate?.(info);
  }
}

function fields(info: CertificateInfo): Record<string, string> {
  return { subject: info.subject, fingerprint256: info.fingerprint256, notAfter: info.notAfter.toISOString() };
}
