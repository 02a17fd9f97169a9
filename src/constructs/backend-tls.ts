/**
 * TLS from the proxy to the app's pods: the proxy verifies the pods' certificates against a CA bundle mounted
 * read-only from a ConfigMap or a Secret (or the image's system CAs), and sends `serverName` as SNI.
 */

/** Options of {@link BackendTls}. */
export interface BackendTlsOptions {
  /**
   * The name the pods' certificates must carry, also sent as SNI. Discovery gives pod IPs, so most setups need it
   * (e.g. `my-app.my-namespace.svc`).
   * @default - the endpoint's host name; for a pod IP, no SNI and a certificate that must name the IP
   */
  readonly serverName?: string;
}

/** Where the CA bundle that the pods' certificates chain to comes from. Create one through a static factory. */
export class BackendTls {
  /** The PEM bundle under `key` of a ConfigMap in the app's namespace (e.g. cert-manager trust-manager's bundle). */
  public static fromConfigMap(name: string, key: string, options: BackendTlsOptions = {}): BackendTls {
    return new BackendTls('ConfigMap', name, key, options.serverName);
  }

  /** The PEM bundle under `key` of a Secret in the app's namespace (e.g. `ca.crt` of a cert-manager Secret). */
  public static fromSecret(name: string, key: string, options: BackendTlsOptions = {}): BackendTls {
    return new BackendTls('Secret', name, key, options.serverName);
  }

  /** The proxy image's system CAs: for pods with publicly trusted certificates. Nothing is mounted. */
  public static systemCas(options: BackendTlsOptions = {}): BackendTls {
    return new BackendTls(undefined, undefined, undefined, options.serverName);
  }

  private constructor(
    /** What holds the CA bundle; undefined for the system CAs. */
    public readonly source: 'ConfigMap' | 'Secret' | undefined,
    /** Name of the ConfigMap or Secret. */
    public readonly name: string | undefined,
    /** Key of the PEM bundle in it. */
    public readonly key: string | undefined,
    public readonly serverName: string | undefined,
  ) {}
}
