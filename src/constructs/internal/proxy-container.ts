/**
 * The proxy container: image, paths, ports, probes and mounts, shared by the gateway, the sidecars and the smoke test.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { ProxyConfig } from '../../config';
import type { BackendTls } from '../backend-tls';
import { TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY } from '../gateway-tls';
import type { ProxyImage } from '../proxy-image';
import type { HashedConfigMap } from './hashed-config-map';
import { BUNDLE_KEY, COMPRESSED_BUNDLE_KEY, ProxyBundle, sha256 } from './proxy-bundle';
import { mountTmp, podVolume, restrictedContainer } from './security';

/** Directory the bundle is mounted at; the proxy runs `node <dir>/proxy.js`. */
export const PROXY_HOME = '/opt/cdk8s-balancer';
/** Directory the config is mounted at. */
export const PROXY_CONFIG_DIR = '/etc/cdk8s-balancer';
/**
 * Where the gateway's TLS Secret is mounted. Not under PROXY_CONFIG_DIR: that is a read-only ConfigMap mount, and a
 * container runtime that must create a mount point inside a read-only mount fails the pod (EROFS).
 */
export const GATEWAY_TLS_DIR = '/etc/cdk8s-balancer-tls';
/** Where the backends' CA bundle is mounted, as a file named `ca.crt` whatever its key. */
export const BACKEND_CA_DIR = '/etc/cdk8s-balancer-backend-ca';
export const BACKEND_CA_FILE = `${BACKEND_CA_DIR}/ca.crt`;
/** The ConfigMap key (and file name) of the proxy config. */
export const CONFIG_KEY = 'config.json';
/**
 * V8 flags of the proxy process, from measurement (bench/proxy/README.md): a 4 MB young generation (semi-space) keeps
 * resident memory 20-30 MB below V8's default under load and on connection churn, and gave ~12% more throughput than
 * 2 MB (fewer scavenges, less promotion) for 2-5 MB more RSS. V8 ignores heap-size flags set from inside the process,
 * so they go on the command line.
 */
export const PROXY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/** Name of the admin port (/healthz, /readyz, /metrics) of a gateway or smoke-test proxy. */
export const ADMIN_PORT_NAME = 'admin';

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
  /** Name of the listener's container port (the protocol's), or none. */
  readonly listenerPortName?: string;
  /** Name of the admin port, unique in the pod; by default `admin` when the listener port is named. */
  readonly adminPortName?: string;
  /** Runs `--smoke` once instead of serving: no probes, no ports. */
  readonly smoke?: boolean;
  /** Extra arguments after the command, e.g. `--smoke-timeout-ms`. */
  readonly extraArgs?: string[];
  /** Files the config names, mounted read-only: the gateway's TLS pair, the backends' CA bundle. */
  readonly mounts?: readonly ProxyMount[];
}

/** A read-only volume the proxy reads files from. */
export interface ProxyMount {
  /** The volume's name after the container's volume prefix: `<volumePrefix>-<name>`. */
  readonly name: string;
  /** Where it is mounted. */
  readonly path: string;
  /** Makes the pod volume, once per pod. */
  readonly volume: (pod: kplus.AbstractPod, id: string, volumeName: string) => kplus.Volume;
}

/** Owner read and group read (the pod's fsGroup is the proxy's group): a private key is no one else's. */
const SECRET_FILE_MODE = 0o440;

/** The gateway's TLS Secret, with its two keys only. */
export function gatewayTlsMount(secretName: string): ProxyMount {
  return {
    name: 'tls',
    path: GATEWAY_TLS_DIR,
    volume: (pod, id, name) =>
      kplus.Volume.fromSecret(pod, id, kplus.Secret.fromSecretName(pod, `${id}-Secret`, secretName), {
        name,
        defaultMode: SECRET_FILE_MODE,
        items: { [TLS_CERT_KEY]: { path: TLS_CERT_KEY }, [TLS_PRIVATE_KEY_KEY]: { path: TLS_PRIVATE_KEY_KEY } },
      }),
  };
}

/** The backends' CA bundle, from its ConfigMap or Secret key to `ca.crt`; none for the system CAs. */
export function backendCaMounts(tls: BackendTls | undefined): ProxyMount[] {
  if (tls?.source === undefined || tls.name === undefined || tls.key === undefined) return [];
  const { name: objectName, key } = tls;
  const file = BACKEND_CA_FILE.slice(BACKEND_CA_DIR.length + 1);
  return [
    {
      name: 'backend-ca',
      path: BACKEND_CA_DIR,
      volume: (pod, id, name) =>
        tls.source === 'Secret'
          ? kplus.Volume.fromSecret(pod, id, kplus.Secret.fromSecretName(pod, `${id}-Secret`, objectName), { name, items: { [key]: { path: file } } })
          : kplus.Volume.fromConfigMap(pod, id, kplus.ConfigMap.fromConfigMapName(pod, `${id}-ConfigMap`, objectName), { name, items: { [key]: { path: file } } }),
    },
  ];
}

/** Seconds Kubernetes waits after SIGTERM before it kills the pod: time to get out of the endpoints, then to drain. */
const GRACE_MARGIN_SECONDS = 5;

/**
 * The termination grace period a pod running the proxy with `config` needs: the shutdown delay, in which it keeps
 * accepting while endpoints and load balancers catch up, then the drain, then a margin for the process to exit.
 */
export function proxyGracePeriodSeconds(config: Pick<ProxyConfig, 'shutdownDelayMs' | 'drainMs'>): number {
  return Math.ceil((config.shutdownDelayMs + config.drainMs) / 1000) + GRACE_MARGIN_SECONDS;
}

/** What a proxy runs on, hashed: a change of the config or of the bundle rolls the pods that carry it. */
export function proxyChecksum(config: HashedConfigMap, bundle: ProxyBundle): string {
  return sha256(JSON.stringify({ config: config.hash, bundle: bundle.hash }));
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
    // The namespace the pod runs in, for discovery names written as $(POD_NAMESPACE) when no namespace was known.
    // Its node, so that zone-aware routing can learn the zone from the EndpointSlices (1.27 cannot pass node labels).
    envVariables: {
      POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
      NODE_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_NAME),
    },
    ports: spec.smoke
      ? []
      : [
          { number: spec.listenerPort, name: spec.listenerPortName },
          { number: spec.adminPort, name: spec.adminPortName ?? (spec.listenerPortName ? ADMIN_PORT_NAME : undefined) },
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
        items: { [BUNDLE_KEY]: { path: BUNDLE_KEY }, [COMPRESSED_BUNDLE_KEY]: { path: COMPRESSED_BUNDLE_KEY } },
      }),
    );
    container.mount(spec.image.bundlePath.slice(0, spec.image.bundlePath.lastIndexOf('/')) || '/', bundleVolume, {
      readOnly: true,
    });
  }
  for (const m of spec.mounts ?? []) {
    const id = `Volume-${spec.volumePrefix}-${m.name}`;
    const volume = podVolume(pod, id, () => m.volume(pod, id, `${spec.volumePrefix}-${m.name}`));
    container.mount(m.path, volume, { readOnly: true });
  }
  mountTmp(pod, container, `${spec.volumePrefix}-tmp`);
  return container;
}
