/**
 * The proxy bundle (lib/proxy.bundle.js) shipped in an immutable ConfigMap named by a hash of its content,
 * one per chart and resolved namespace however many apps use it, created when the first thing that runs the proxy
 * (a gateway, a sidecar, a smoke test) asks for it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { BUNDLE_CONFIGMAP_LABELS, BUNDLE_CONFIGMAP_PREFIX, BUNDLE_KEY } from '../../internal/proxy-bundle-identity';
import { PropsError } from '../errors';
import type { ResolvedAppProps } from '../resolved-props';

/** Where `npm run build` writes the bundle, from src/constructs/internal under ts-jest and from lib/constructs/internal alike. */
export const DEFAULT_BUNDLE_FILE = path.resolve(__dirname, '../../../lib/proxy.bundle.js');

export { BUNDLE_KEY };

/** Largest ConfigMap payload we write: 1 MiB minus room for the object's own fields. */
export const MAX_CONFIGMAP_BYTES = 1024 * 1024 - 16 * 1024;

/** Hex sha256 of a string. */
export function sha256(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The namespace of the pods that mount a bundle. */
export interface BundleNamespace {
  /** Where the pods run: the app's namespace prop, else the chart's, else `default`. */
  readonly resolved: string;
  /** What goes on the ConfigMap: the app's namespace prop only. */
  readonly written?: string;
}

/** The bundle's ConfigMap within a chart. */
export class ProxyBundle extends Construct {
  /**
   * The bundle ConfigMap for `scope`'s chart and namespace, created on first use.
   * @param namespace `resolved` is where the pods that mount it run, and what makes two ConfigMaps one; `written`
   *   goes on the ConfigMap (undefined leaves it to the chart, like the other objects)
   * @param file the bundle file; missing -> an error telling the user to run `npm run build`
   */
  public static of(scope: IConstruct, namespace: BundleNamespace, file: string = DEFAULT_BUNDLE_FILE): ProxyBundle {
    const chart = Chart.of(scope);
    // Read and hash the (large) file once per chart, not once per app.
    const byKey = ProxyBundle.perChart.get(chart) ?? new Map<string, ProxyBundle>();
    ProxyBundle.perChart.set(chart, byKey);
    const key = `${namespace.resolved}\u0000${path.resolve(file)}`;
    const known = byKey.get(key);
    if (known) return known;
    const content = ProxyBundle.read(scope, file);
    const hash = sha256(content);
    const id = `cdk8s-balancer-proxy-${namespace.resolved}-${hash.slice(0, 10)}`;
    const bundle = (chart.node.tryFindChild(id) as ProxyBundle | undefined) ?? new ProxyBundle(chart, id, namespace.written, content, hash);
    byKey.set(key, bundle);
    return bundle;
  }

  /** The bundle the proxies of an app mount: the app's bundle file, in the app's namespace. */
  public static forApp(scope: IConstruct, app: Pick<ResolvedAppProps, 'namespace' | 'objectNamespace' | 'proxy'>): ProxyBundle {
    return ProxyBundle.of(scope, { resolved: app.namespace, written: app.objectNamespace }, app.proxy.bundleFile);
  }

  private static readonly perChart = new WeakMap<Chart, Map<string, ProxyBundle>>();

  private static read(scope: IConstruct, file: string): string {
    if (!existsSync(file)) {
      throw new PropsError(
        'LB_BUNDLE_MISSING',
        scope.node.path,
        `the proxy bundle ${file} does not exist; fix: run \`npm run build\`, which bundles src/proxy into lib/proxy.bundle.js`,
      );
    }
    const content = readFileSync(file, 'utf8');
    if (Buffer.byteLength(content) > MAX_CONFIGMAP_BYTES) {
      throw new PropsError(
        'LB_PROPS_INVALID',
        scope.node.path,
        `the proxy bundle ${file} is ${Buffer.byteLength(content)} bytes, over the ${MAX_CONFIGMAP_BYTES}-byte ConfigMap budget; fix: trim the bundle, or ship it in your own image with ProxyImage.fromImage(image, { bundlePath })`,
      );
    }
    return content;
  }

  /** Hex sha256 of the bundle. */
  public readonly hash: string;
  /** The immutable ConfigMap holding the bundle under key `proxy.js`. */
  public readonly configMap: kplus.ConfigMap;

  private constructor(scope: Construct, id: string, namespace: string | undefined, content: string, hash: string) {
    super(scope, id);
    this.hash = hash;
    this.configMap = new kplus.ConfigMap(this, 'Resource', {
      metadata: {
        name: `${BUNDLE_CONFIGMAP_PREFIX}-${hash.slice(0, 10)}`,
        namespace,
        labels: { ...BUNDLE_CONFIGMAP_LABELS },
      },
      immutable: true,
      data: { [BUNDLE_KEY]: content },
    });
  }
}
