/**
 * TLS test helpers: a throwaway PKI made with openssl at test time (EC P-256, so it takes a few hundred ms), a
 * directory laid out like the kubelet's mount of a kubernetes.io/tls Secret (rotated the way the kubelet does it),
 * HTTPS backends that record the SNI and ALPN they saw, and TLS clients.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { freePort, RunningProxy, startProxy } from './helpers';

export interface Pem {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface Pki {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: Buffer;
  /** Gateway certificates for localhost and 127.0.0.1, CN gateway-a and gateway-b. */
  readonly gatewayA: Pem;
  readonly gatewayB: Pem;
  /** For backend.test, 127.0.0.41 and 127.0.0.42, signed by the CA. */
  readonly backend: Pem;
  /** Self-signed for backend.test: no CA the proxy knows signed it. */
  readonly untrusted: Pem;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function leaf(dir: string, name: string, cn: string, san: string, signed: boolean): Pem {
  const sign = signed ? ['-CA', 'ca.crt', '-CAkey', 'ca.key'] : [];
  openssl(dir, ['req', '-x509', ...EC, ...sign, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`]);
  return { cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
}

/** A CA and four leaves in a new temp dir; rmSync(pki.dir) when done. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'lb-tls-pki-'));
  openssl(dir, ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=lb-test-ca']);
  const gw = 'DNS:localhost,IP:127.0.0.1';
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    ca: readFileSync(join(dir, 'ca.crt')),
    gatewayA: leaf(dir, 'gateway-a', 'gateway-a', gw, true),
    gatewayB: leaf(dir, 'gateway-b', 'gateway-b', gw, true),
    backend: leaf(dir, 'backend', 'backend.test', 'DNS:backend.test,IP:127.0.0.41,IP:127.0.0.42', true),
    untrusted: leaf(dir, 'untrusted', 'backend.test', 'DNS:backend.test,IP:127.0.0.41,IP:127.0.0.42', false),
  };
}

/**
 * A directory laid out like the kubelet's Secret volume: `tls.crt -> ..data/tls.crt`, `..data -> ..<version>`.
 * `write` publishes a new version as the kubelet does: a new directory, `..data_tmp` renamed over `..data` (one
 * atomic swap), then the old directory removed.
 */
export class SecretMount {
  public readonly dir: string;
  private version = 0;
  private current: string | undefined;

  public constructor(root: string) {
    this.dir = mkdtempSync(join(root, 'secret-'));
  }

  public get certFile(): string {
    return join(this.dir, 'tls.crt');
  }

  public get keyFile(): string {
    return join(this.dir, 'tls.key');
  }

  public write(cert: Buffer, key: Buffer): void {
    const name = `..2026_11_28_19_00_00.${++this.version}`;
    mkdirSync(join(this.dir, name));
    writeFileSync(join(this.dir, name, 'tls.crt'), cert);
    writeFileSync(join(this.dir, name, 'tls.key'), key);
    symlinkSync(name, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.current === undefined) {
      symlinkSync('..data/tls.crt', this.certFile);
      symlinkSync('..data/tls.key', this.keyFile);
    } else {
      rmSync(join(this.dir, this.current), { recursive: true, force: true });
    }
    this.current = name;
  }
}

/** helpers.startProxy with a TLS listener on 127.0.0.1 (`listenerTls` is the listener.tls object). */
export async function startTlsProxy(config: object, listenerTls: object, opts: { waitReady?: boolean } = {}): Promise<RunningProxy> {
  const port = await freePort();
  const p = await startProxy({ ...config, listener: { host: '127.0.0.1', port, tls: listenerTls } } as never, opts);
  return { ...p, port };
}

export interface TlsBackend {
  readonly host: string;
  readonly port: number;
  /** Per handshake: the SNI the client sent (false: none) and the ALPN protocol chosen. */
  readonly handshakes: { servername: string | false; alpn: string | false }[];
  close(): Promise<void>;
}

/** An HTTPS backend answering 200 `<host>\n`, offering ALPN h2 and http/1.1 (so the test sees what the proxy asked). */
export async function startTlsBackend(host: string, pem: Pem): Promise<TlsBackend> {
  const handshakes: TlsBackend['handshakes'] = [];
  const server = https.createServer({ ...pem, ALPNProtocols: ['h2', 'http/1.1'] }, (req, res) => {
    req.resume();
    req.on('end', () => res.setHeader('x-backend', host).end(`${host}\n`));
  });
  server.on('secureConnection', (s: tls.TLSSocket & { servername?: string | false }) =>
    handshakes.push({ servername: s.servername ?? false, alpn: s.alpnProtocol ?? false }),
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  return {
    host,
    port: (server.address() as AddressInfo).port,
    handshakes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Handshake {
  readonly ok: boolean;
  readonly code?: string;
  readonly protocol?: string | null;
  readonly alpn?: string | false | null;
  readonly subject?: string;
  readonly fingerprint256?: string;
}

/** One TLS handshake with the proxy; reports the outcome and the certificate seen, then closes. */
export function handshake(port: number, ca: Buffer, o: tls.ConnectionOptions = {}): Promise<Handshake> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...o }, () => {
      const c = s.getPeerCertificate();
      resolve({ ok: true, protocol: s.getProtocol(), alpn: s.alpnProtocol, subject: c.subject?.CN, fingerprint256: c.fingerprint256 });
      s.destroy();
    });
    s.setTimeout(5_000, () => s.destroy(Object.assign(new Error('client timeout'), { code: 'TIMEOUT' })));
    s.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, code: err.code }));
  });
}

export interface TlsReply {
  readonly status: number;
  readonly body: string;
  readonly socket: tls.TLSSocket;
  readonly reused: boolean;
}

/** GET over HTTPS, trusting `ca`, on `agent` (keep-alive) or a fresh connection. */
export function httpsGet(port: number, path: string, ca: Buffer, agent: https.Agent | false = false, alpn?: string[]): Promise<TlsReply> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions & { ALPNProtocols?: string[] } = { host: '127.0.0.1', port, path, ca, servername: 'localhost', agent, timeout: 10_000 };
    if (alpn) options.ALPNProtocols = alpn;
    const req = https.request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), socket: req.socket as tls.TLSSocket, reused: req.reusedSocket }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The value of one sample in a Prometheus exposition, 0 when absent. */
export function sample(metrics: string, name: string, labels = ''): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}
