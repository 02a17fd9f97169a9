/**
 * The image the proxy runs on: a pinned stock Node image with the bundle mounted from a ConfigMap, or your own.
 */
import { DEFAULTS } from './internal/defaults';
import { BUNDLE_KEY } from './internal/proxy-bundle';
import { PROXY_HOME } from './internal/proxy-container';

/** Options of {@link ProxyImage.fromImage}. */
export interface ProxyImageOptions {
  /**
   * Path of the bundle inside the image. When set, the bundle ConfigMap is not mounted.
   * @default - the bundle ConfigMap is mounted at /opt/cdk8s-balancer/proxy.js, as with the stock image
   */
  readonly bundlePath?: string;
  /**
   * User the container runs as; must not be 0.
   * @default 1000
   */
  readonly user?: number;
  /**
   * Group the container runs as.
   * @default 1000
   */
  readonly group?: number;
}

/** The image the proxy runs on. */
export class ProxyImage {
  /** A pinned stock Node image; the bundle is mounted from its ConfigMap. Runs as the image's `node` user (1000). */
  public static node(image: string = DEFAULTS.ProxyImage.image): ProxyImage {
    return ProxyImage.fromImage(image);
  }

  /** Your own image with `node` on its PATH; see {@link ProxyImageOptions.bundlePath} for where the bundle comes from. */
  public static fromImage(image: string, options: ProxyImageOptions = {}): ProxyImage {
    return new ProxyImage(
      image,
      options.bundlePath ?? `${PROXY_HOME}/${BUNDLE_KEY}`,
      options.bundlePath === undefined,
      options.user ?? DEFAULTS.ProxyImageOptions.user,
      options.group ?? DEFAULTS.ProxyImageOptions.group,
    );
  }

  private constructor(
    public readonly image: string,
    /** Path of the bundle in the container. */
    public readonly bundlePath: string,
    /** Whether the bundle ConfigMap is mounted. */
    public readonly mountsBundle: boolean,
    public readonly user: number,
    public readonly group: number,
  ) {}
}
