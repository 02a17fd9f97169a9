/**
 * Finding the proxy bundle file and its compressed copy at synth time.
 *
 * The constructs usually run from `node_modules/cdk8s-balancer/lib/constructs/internal`, where the bundle is
 * `../../proxy.bundle.js`. But a user may bundle their cdk8s app with esbuild or webpack, and then this code runs from
 * the user's output file, far from the package. So the lookup tries, in order: the environment variable
 * `CDK8S_BALANCER_PROXY_BUNDLE`, the path next to this module, then the package as Node would resolve it from the
 * working directory and from the app's entry script.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';

/** The environment variable that points the constructs at a bundle file. */
export const BUNDLE_ENV = 'CDK8S_BALANCER_PROXY_BUNDLE';

/** Where `npm run build` writes the bundle, from src/constructs/internal under ts-jest and from lib/constructs/internal alike. */
export const DEFAULT_BUNDLE_FILE = path.resolve(__dirname, '../../../lib/proxy.bundle.js');

/** The places the bundle is looked for, in order, without duplicates. */
export function bundleCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  const fromEnv = env[BUNDLE_ENV];
  if (fromEnv) out.push(path.resolve(fromEnv));
  out.push(DEFAULT_BUNDLE_FILE);
  const bases = [path.join(process.cwd(), 'package.json'), ...(process.argv[1] ? [path.resolve(process.argv[1])] : [])];
  for (const base of bases) {
    try {
      const pkg = createRequire(base).resolve('cdk8s-balancer/package.json');
      out.push(path.join(path.dirname(pkg), 'lib', 'proxy.bundle.js'));
    } catch {
      // not resolvable from there
    }
  }
  return [...new Set(out)];
}

/** The bundle file to use: the given one, or the first candidate that exists; undefined when none does. */
export function findBundleFile(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): { file?: string; tried: string[] } {
  if (explicit !== undefined) return existsSync(explicit) ? { file: explicit, tried: [explicit] } : { tried: [explicit] };
  const tried = bundleCandidates(env);
  return { file: tried.find((f) => existsSync(f)), tried };
}

/** The fix for a missing bundle, for users who installed the package and for those who work on it. */
export function missingBundleFix(explicit: string | undefined): string {
  if (explicit !== undefined) return `point proxy.bundleFile at an existing file (built with \`npm run build\` in cdk8s-balancer)`;
  return (
    `if you installed cdk8s-balancer and bundle your cdk8s app (esbuild, webpack), keep the package out of the bundle ` +
    `(esbuild --external:cdk8s-balancer; webpack externals) or set ${BUNDLE_ENV} to node_modules/cdk8s-balancer/lib/proxy.bundle.js; ` +
    `if you work in a clone of cdk8s-balancer, run \`npm run build\``
  );
}

/** Brotli settings of the compressed bundle: the same as scripts/bundle.mjs, so a recompression gives the same bytes. */
export function compressBundle(content: Buffer): Buffer {
  return brotliCompressSync(content, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT, [zlib.BROTLI_PARAM_SIZE_HINT]: content.length },
  });
}

/** The bundle's bytes and a brotli copy: the shipped `<file>.br` when it matches, else compressed now (~1 s). */
export function readBundle(file: string): { content: Buffer; compressed: Buffer } {
  const content = readFileSync(file);
  const shipped = `${file}.br`;
  if (existsSync(shipped)) {
    const compressed = readFileSync(shipped);
    try {
      if (brotliDecompressSync(compressed).equals(content)) return { content, compressed };
    } catch {
      // a stale or broken copy: compress again below
    }
  }
  return { content, compressed: compressBundle(content) };
}

/** Hex sha256. */
export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
