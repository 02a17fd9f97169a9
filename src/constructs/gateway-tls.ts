/**
 * TLS at the gateway: the proxies terminate TLS with a certificate and key from a Kubernetes TLS Secret, mounted
 * read-only into the gateway's pods. The proxy re-reads the files when the kubelet updates them (a rotated
 * certificate, e.g. by cert-manager), so a rotation needs no restart and drops no connection.
 */
import { Duration } from 'cdk8s';
import type { AppSecret } from './app-secret';
import { TlsVersion } from './enums';

/** The type of a Secret that holds a certificate chain and its key under `tls.crt` and `tls.key`. */
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';
/** The keys of a `kubernetes.io/tls` Secret. */
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_PRIVATE_KEY_KEY = 'tls.key';

/** Options of {@link GatewayTls}. */
export interface GatewayTlsOptions {
  /**
   * The oldest TLS version a client may use; TLS 1.0 and 1.1 are never accepted.
   * @default TlsVersion.TLS_1_2
   */
  readonly minVersion?: TlsVersion;
  /**
   * How often the proxy checks the mounted files for a new pair; new handshakes use it, open connections stay.
   * The kubelet itself updates a mounted Secret within about a minute of a change.
   * @default Duration.seconds(2)
   */
  readonly reloadCheck?: Duration;
}

/** Where the gateway's certificate and key come from. Create one through a static factory. */
export class GatewayTls {
  /**
   * A Secret of type `kubernetes.io/tls` that exists in the app's namespace, by name: made by cert-manager, another
   * chart, or `kubectl create secret tls`. Validate the manifests with `external: { secrets: [name] }`.
   */
  public static fromSecret(secretName: string, options: GatewayTlsOptions = {}): GatewayTls {
    return new GatewayTls(secretName, undefined, options);
  }

  /**
   * An {@link AppSecret}: `AppSecret.fromValues({ 'tls.crt': ..., 'tls.key': ... }, { type: 'kubernetes.io/tls' })`
   * creates the Secret `<app>-gateway-tls` with the chart (its key is then readable in the synthesized YAML; see
   * `AppSecret.fromValues`), and `AppSecret.fromExisting(name)` references one like {@link GatewayTls.fromSecret}.
   */
  public static fromAppSecret(secret: AppSecret, options: GatewayTlsOptions = {}): GatewayTls {
    return new GatewayTls(secret.existingName, secret, options);
  }

  private constructor(
    /** Name of an existing Secret; undefined when the chart creates it from an AppSecret's values. */
    public readonly secretName: string | undefined,
    /** The AppSecret it was made from, if any. */
    public readonly appSecret: AppSecret | undefined,
    /** The options as given; their defaults apply where the gateway resolves them. */
    public readonly options: GatewayTlsOptions,
  ) {}
}
