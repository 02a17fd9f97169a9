/**
 * The proxy container: image, paths, ports, probes and mounts, shared by the gateway, the sidecars and the smoke test.
 */
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { checkInt, invalid } from './errors';
import { checkPinnedImage, DEFAULT_PROXY_IMAGE } from './images';
import { BUNDLE_KEY, ProxyBundle } from './proxy-bundle';
import { mountTmp, podVolume, restrictedContainer } from './security';

/** Directory the bundle is mounted at; the proxy runs `node <dir>/proxy.js`. */
export const PROXY_HOME = '/opt/cdk8s-balancer';
/** Directory the config is mounted at. */
export const PROXY_CONFIG_DIR = '/etc/cdk8s-balancer';
/** The ConfigMap key (and file name) of the proxy config. */
export const CONFIG_KEY = 'config.json';
/** Default admin port of every proxy: /healthz, /readyz, /metrics. */
export const DEFAULT_ADMIN_PORT = 9901;
/** Default gateway listener port, on 0.0.0.0. */
export const DEFAULT_GATEWAY_PORT = 8080;
/** Default sidecar listener port, on 127.0.0.1. */
export const DEFAULT_SIDECAR_PORT = 15001;

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
  public static node(image: string = DEFAULT_PROXY_IMAGE): ProxyImage {
    return new ProxyImage(image, `${PROXY_HOME}/${BUNDLE_KEY}`, true, 1000, 1000);
  }

  /** Your own image with `node` on its PATH; see {@link ProxyImageOptions.bundlePath} for where the bundle comes from. */
  public static fromImage(image: string, options: ProxyImageOptions = {}): ProxyImage {
    return new ProxyImage(
      image,
      options.bundlePath ?? `${PROXY_HOME}/${BUNDLE_KEY}`,
      options.bundlePath === undefined,
      options.user ?? 1000,
      options.group ?? 1000,
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

  /** Throws for an unpinned image or a root user. */
  public check(scope: IConstruct): void {
    checkPinnedImage(scope, 'proxy image', this.image);
    checkInt(scope, 'proxy image user', this.user, 1);
    checkInt(scope, 'proxy image group', this.group, 0);
    if (!this.bundlePath.startsWith('/')) {
      invalid(scope, 'proxy image bundlePath', this.bundlePath, 'give an absolute path such as "/app/proxy.js"');
    }
  }
}

/**
 * The proxy's default resources: small requests, a memory limit, no CPU limit (throttling hurts tail latency).
 * Measured (bench/proxy/README.md): about 60 MB idle and 100-115 MB at peak under a saturating load, so the limit
 * leaves headroom above the peak instead of OOM-killing a busy proxy.
 */
export const DEFAULT_PROXY_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(50) },
  memory: { request: Size.mebibytes(64), limit: Size.mebibytes(192) },
};

/**
 * V8 flags of the proxy process. A 2 MB young generation (semi-space) keeps resident memory 15-20 MB lower under
 * load at no measured CPU cost; V8 ignores heap-size flags set from inside the process, so they go on the command line.
 */
export const PROXY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/** What one proxy container needs. */
export interface ProxyContainerSpec {
  /** Container name, unique in the pod. */
  readonly name: string;
  /** Prefix of the pod volumes this container adds, unique per app in the pod. */
  readonly volumePrefix: string;
  /** The ConfigMap holding `config.json`. */
  readonly config: kplus.IConfigMap;
  /** The bundle ConfigMap; mounted unless the image carries the bundle. */
  readonly bundle: ProxyBundle;
  readonly image: ProxyImage;
  readonly resources: kplus.ContainerResources;
  readonly adminPort: number;
  readonly listenerPort: number;
  /** Name of the listener's container port, or none. */
  readonly listenerPortName?: string;
  /** Runs `--smoke` once instead of serving: no probes, no ports. */
  readonly smoke?: boolean;
  /** Extra arguments after the command, e.g. `--smoke-timeout-ms`. */
  readonly extraArgs?: string[];
}

/** The command line the proxy runs with. */
export function proxyCommand(image: ProxyImage, smoke = false): string[] {
  return ['node', ...PROXY_NODE_FLAGS, image.bundlePath, '--config', `${PROXY_CONFIG_DIR}/${CONFIG_KEY}`, ...(smoke ? ['--smoke'] : [])];
}

/** Adds the proxy container, its read-only mounts and a writable /tmp to `pod`. */
export function addProxyContainer(pod: kplus.AbstractPod, spec: ProxyContainerSpec): kplus.Container {
  const admin = { port: spec.adminPort };
  const container = pod.addContainer({
    name: spec.name,
    image: spec.image.image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: [...proxyCommand(spec.image, spec.smoke), ...(spec.extraArgs ?? [])],
    ports: spec.smoke
      ? []
      : [
          { number: spec.listenerPort, name: spec.listenerPortName },
          { number: spec.adminPort, name: spec.listenerPortName ? 'admin' : undefined },
        ],
    securityContext: restrictedContainer(spec.image.user, spec.image.group),
    resources: spec.resources,
    readiness: spec.smoke
      ? undefined
      : kplus.Probe.fromHttpGet('/readyz', { ...admin, periodSeconds: Duration.seconds(5), failureThreshold: 2 }),
    liveness: spec.smoke
      ? undefined
      : kplus.Probe.fromHttpGet('/healthz', { ...admin, periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
    startup: spec.smoke
      ? undefined
      : kplus.Probe.fromHttpGet('/healthz', { ...admin, periodSeconds: Duration.seconds(1), failureThreshold: 30 }),
  });
  const configId = `Volume-${spec.volumePrefix}-config`;
  const configVolume = podVolume(pod, configId, () =>
    kplus.Volume.fromConfigMap(pod, configId, spec.config, {
      name: `${spec.volumePrefix}-config`,
      items: { [CONFIG_KEY]: { path: CONFIG_KEY } },
    }),
  );
  container.mount(PROXY_CONFIG_DIR, configVolume, { readOnly: true });
  if (spec.image.mountsBundle) {
    const bundleId = `Volume-${spec.volumePrefix}-bundle`;
    const bundleVolume = podVolume(pod, bundleId, () =>
      kplus.Volume.fromConfigMap(pod, bundleId, spec.bundle.configMap, {
        name: `${spec.volumePrefix}-bundle`,
        items: { [BUNDLE_KEY]: { path: BUNDLE_KEY } },
      }),
    );
    container.mount(spec.image.bundlePath.slice(0, spec.image.bundlePath.lastIndexOf('/')) || '/', bundleVolume, {
      readOnly: true,
    });
  }
  mountTmp(pod, container, `${spec.volumePrefix}-tmp`);
  return container;
}
