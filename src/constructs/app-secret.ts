/**
 * The app's secrets: inline values, or a reference to a Secret that exists in the cluster.
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { sha256 } from './internal/proxy-bundle';

/** Options of {@link AppSecret.fromValues}. */
export interface AppSecretValuesOptions {
  /**
   * The Secret's `type`, e.g. `kubernetes.io/tls` for a certificate and key under `tls.crt` and `tls.key`, which
   * `GatewayTls.fromAppSecret` requires (the API server then refuses the Secret without both keys).
   * @default - none (Kubernetes' Opaque)
   */
  readonly type?: string;
}

/** Where the app's secret values come from. The app reads them as environment variables through `envFrom`. */
export class AppSecret {
  /**
   * A Secret created from these values, written as base64 in the Secret's `data` (the API server's own form, so an
   * apply shows no diff). **Base64 is an encoding, not encryption: the values can be read from the synthesized
   * YAML**: keep that YAML out of version control, or use {@link AppSecret.fromExisting} with a Secret made by
   * another tool (External Secrets, Sealed Secrets, SOPS). Values never appear anywhere but in that Secret; pods
   * roll when they change, through a hash in the checksum annotation.
   */
  public static fromValues(values: Record<string, string>, options: AppSecretValuesOptions = {}): AppSecret {
    return new AppSecret({ ...values }, undefined, undefined, options.type);
  }

  /**
   * A Secret that already exists in the app's namespace, by name. Nothing about its values is synthesized, so pods
   * do not roll when it changes; restart them yourself or change `rolloutToken`.
   */
  public static fromExisting(name: string, options: { readonly rolloutToken?: string } = {}): AppSecret {
    return new AppSecret(undefined, name, options.rolloutToken);
  }

  private constructor(
    /** Inline values, if any. */
    public readonly values: Readonly<Record<string, string>> | undefined,
    /** Name of an existing Secret, if any. */
    public readonly existingName: string | undefined,
    private readonly rolloutToken?: string,
    /** The Secret's `type` (inline values only), e.g. `kubernetes.io/tls`; undefined writes none (Opaque). */
    public readonly type?: string,
  ) {}

  /** What goes into the pods' checksum: a hash of the values, never the values. */
  public get checksum(): string {
    if (this.values) {
      const sorted = Object.keys(this.values)
        .sort()
        .map((k) => [k, this.values![k]]);
      return sha256(JSON.stringify(sorted));
    }
    return sha256(JSON.stringify({ existing: this.existingName, token: this.rolloutToken ?? '' }));
  }

  /** Creates (for inline values) or references the Secret. */
  public bind(scope: Construct, name: string, namespace: string | undefined): kplus.ISecret {
    if (this.existingName !== undefined) return kplus.Secret.fromSecretName(scope, 'Secret', this.existingName);
    const secret = new kplus.Secret(scope, 'Secret', { metadata: { name, namespace }, type: this.type });
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.values ?? {})) data[k] = Buffer.from(v, 'utf8').toString('base64');
    // cdk8s-plus writes only stringData; the documented form is data.
    ApiObject.of(secret).addJsonPatch(JsonPatch.add('/data', data), JsonPatch.remove('/stringData'));
    return secret;
  }
}
