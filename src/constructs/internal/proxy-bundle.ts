/**
 * The proxy bundle (lib/proxy.bundle.js) shipped in an immutable ConfigMap named by a hash of its content: one per
 * namespace in the whole cdk8s app, however many apps and charts use it, created when the first thing that runs the
 * proxy (a gateway, a sidecar, a smoke test) asks for it. A later chart in the same namespace refers to that one.
 *
 * The bundle is stored brotli-compressed in `binaryData` (proxy.js.br, ~90 KiB for ~320 KiB of JS) beside a small
 * plain-text loader (proxy.js) that inflates and runs it. Stored as plain text, the bundle made `kubectl apply` fail:
 * client-side apply copies the whole object into the `kubectl.kubernetes.io/last-applied-configuration` annotation,
 * JSON-escaped (every `<`, `>` and `&` becomes six bytes), and the API server refuses annotations over 256 KiB.
 */
import * as path from 'node:path';
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { PropsError } from '../errors';
import type { ResolvedAppProps } from '../resolved-props';
import { findBundleFile, missingBundleFix, readBundle, sha256 } from './bundle-file';

export { DEFAULT_BUNDLE_FILE, sha256 } from './bundle-file';

/** The ConfigMap key (and file name) of the loader the proxy container runs: `node <dir>/proxy.js`. */
export const BUNDLE_KEY = 'proxy.js';
/** The ConfigMap key (and file name) of the compressed bundle, next to the loader. */
export const COMPRESSED_BUNDLE_KEY = 'proxy.js.br';

/** Largest ConfigMap payload we write: 1 MiB minus room for the object's own fields. */
export const MAX_CONFIGMAP_BYTES = 1024 * 1024 - 16 * 1024;

/**
 * The loader: plain CommonJS any `node` runs with no build step. It inflates proxy.js.br and runs it as this file's
 * module would run, with `require` resolving from the mount directory.
 */
export const BUNDLE_LOADER = `'use strict';
// cdk8s-balancer proxy loader. The proxy bundle is stored brotli-compressed next to this file (proxy.js.br) so that
// its ConfigMap, and the copy client-side \`kubectl apply\` keeps in an annotation, stay within the API server's
// limits. This file inflates the bundle and runs it. To read the bundle:
//   node -e "process.stdout.write(require('zlib').brotliDecompressSync(require('fs').readFileSync('proxy.js.br')))"
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire } = require('node:module');
const { brotliDecompressSync } = require('node:zlib');
const filename = path.join(__dirname, 'proxy.bundle.js');
const source = brotliDecompressSync(fs.readFileSync(path.join(__dirname, '${COMPRESSED_BUNDLE_KEY}'))).toString('utf8');
const run = vm.runInThisContext(
  '(function (exports, require, module, __filename, __dirname) {' + source.replace(/^#!.*/, '') + '\\n})',
  { filename },
);
const mod = { exports: {} };
run(mod.exports, createRequire(filename), mod, filename, __dirname);
`;

/** The namespace of the pods that mount a bundle. */
export interface BundleNamespace {
  /** Where the pods run: the app's namespace prop, else the chart's, else `default`. */
  readonly resolved: string;
  /** What goes on the ConfigMap: the app's namespace prop only. */
  readonly written?: string;
}

interface Known {
  readonly chart: Chart;
  readonly bundle: ProxyBundle;
}

/** The bundle's ConfigMap, or a reference to the one an earlier chart of the same namespace holds. */
export class ProxyBundle extends Construct {
  /**
   * The bundle ConfigMap for `scope`'s namespace, created on first use in the cdk8s app.
   * @param namespace `resolved` is where the pods that mount it run, and what makes two ConfigMaps one; `written`
   *   goes on the ConfigMap (undefined leaves it to the chart, like the other objects)
   * @param file the bundle file; by default lib/proxy.bundle.js of this package, wherever it is installed
   */
  public static of(scope: IConstruct, namespace: BundleNamespace, file?: string): ProxyBundle {
    const chart = Chart.of(scope);
    const root = scope.node.root;
    const byKey = ProxyBundle.perApp.get(root) ?? new Map<string, Known>();
    ProxyBundle.perApp.set(root, byKey);
    const found = findBundleFile(file);
    if (found.file === undefined) {
      throw new PropsError(
        'LB_BUNDLE_MISSING',
        scope.node.path,
        `the proxy bundle was not found (looked at ${found.tried.join(', ')}); fix: ${missingBundleFix(file)}`,
      );
    }
    const key = `${namespace.resolved}\u0000${path.resolve(found.file)}`;
    const known = byKey.get(key);
    if (known && known.chart === chart) return known.bundle;
    if (known) {
      // Another chart in this namespace already holds it: refer to that ConfigMap by name, emit nothing.
      const id = `cdk8s-balancer-proxy-ref-${known.bundle.hash.slice(0, 10)}`;
      const existing = chart.node.tryFindChild(id) as ProxyBundle | undefined;
      const ref = existing ?? new ProxyBundle(chart, id, { ref: known.bundle });
      return ref;
    }
    const { content, compressed } = ProxyBundle.read(scope, found.file);
    const hash = sha256(JSON.stringify([BUNDLE_LOADER, sha256(compressed)]));
    const id = `cdk8s-balancer-proxy-${namespace.resolved}-${hash.slice(0, 10)}`;
    const bundle = new ProxyBundle(chart, id, { namespace: namespace.written, compressed, hash, bytes: content.length });
    byKey.set(key, { chart, bundle });
    return bundle;
  }

  /** The bundle the proxies of an app mount: the app's bundle file, in the app's namespace. */
  public static forApp(scope: IConstruct, app: Pick<ResolvedAppProps, 'namespace' | 'objectNamespace' | 'proxy'>): ProxyBundle {
    return ProxyBundle.of(scope, { resolved: app.namespace, written: app.objectNamespace }, app.proxy.bundleFile);
  }

  private static readonly perApp = new WeakMap<IConstruct | App, Map<string, Known>>();

  private static read(scope: IConstruct, file: string): { content: Buffer; compressed: Buffer } {
    const bundle = readBundle(file);
    const stored = Math.ceil(bundle.compressed.length / 3) * 4 + BUNDLE_LOADER.length;
    if (stored > MAX_CONFIGMAP_BYTES) {
      throw new PropsError(
        'LB_PROPS_INVALID',
        scope.node.path,
        `the proxy bundle ${file} takes ${stored} bytes compressed, over the ${MAX_CONFIGMAP_BYTES}-byte ConfigMap budget; fix: trim the bundle, or ship it in your own image with ProxyImage.fromImage(image, { bundlePath })`,
      );
    }
    return bundle;
  }

  /** Hex sha256 of what the ConfigMap holds (loader and compressed bundle): it names the ConfigMap. */
  public readonly hash: string;
  /** The immutable ConfigMap holding the loader under `proxy.js` and the bundle under `proxy.js.br`. */
  public readonly configMap: kplus.IConfigMap;

  private constructor(
    scope: Construct,
    id: string,
    from: { ref: ProxyBundle } | { namespace?: string; compressed: Buffer; hash: string; bytes: number },
  ) {
    super(scope, id);
    if ('ref' in from) {
      this.hash = from.ref.hash;
      this.configMap = kplus.ConfigMap.fromConfigMapName(this, 'Ref', from.ref.configMap.name);
      return;
    }
    this.hash = from.hash;
    this.configMap = new kplus.ConfigMap(this, 'Resource', {
      metadata: {
        name: `cdk8s-balancer-proxy-${from.hash.slice(0, 10)}`,
        namespace: from.namespace,
        labels: { 'app.kubernetes.io/name': 'cdk8s-balancer-proxy', 'app.kubernetes.io/managed-by': 'cdk8s-balancer' },
        annotations: { 'cdk8s-balancer.io/bundle-bytes': String(from.bytes) },
      },
      immutable: true,
      data: { [BUNDLE_KEY]: BUNDLE_LOADER },
      binaryData: { [COMPRESSED_BUNDLE_KEY]: from.compressed.toString('base64') },
    });
  }
}
