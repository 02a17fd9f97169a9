/**
 * The app's secrets: inline values, or a reference to a Secret that exists in the cluster.
 */
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { sha256 } from './internal/proxy-bundle';

/** Where the app's secret values come from. The app reads them as environment variables through `envFrom`. */
export class AppSecret {
  /**
   * A Secret created from these values. **The values end up, base64-encoded (not encrypted), in the synthesized
   * YAML**: keep that YAML out of version control, or use {@link AppSecret.fromExisting} with a Secret made by
   * another tool (External Secrets, Sealed Secrets, SOPS). Values never appear anywhere but in that Secret; pods
   * roll when they change, through a hash in the checksum annotation.
   */
  public static fromValues(values: Record<string, string>): AppSecret {
    return new AppSecret({ ...values }, undefined);
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
    return new kplus.Secret(scope, 'Secret', {
      metadata: { name, namespace },
      stringData: { ...this.values },
    });
  }
}
