// Bundles the proxy into one file (lib/proxy.bundle.js) and writes the config's JSON Schema (lib/config.schema.json).
// Runs after tsc, so it can load the compiled config module for the schema.
import { build } from 'esbuild';
import { writeFileSync, statSync, chmodSync, readFileSync } from 'node:fs';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const out = 'lib/proxy.bundle.js';
const MAX_BYTES = 1024 * 1024 - 16 * 1024; // leaves room for the ConfigMap's own fields under the 1 MiB object limit

await build({
  entryPoints: ['src/proxy/main.ts'],
  outfile: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  mainFields: ['module', 'main'],
  minify: true,
  keepNames: true,
  legalComments: 'eof',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
chmodSync(out, 0o755);
const size = statSync(out).size;
if (size > MAX_BYTES) {
  console.error(`proxy bundle is ${size} bytes, over the ${MAX_BYTES}-byte budget that fits a ConfigMap; trim its dependencies`);
  process.exit(1);
}

// The compressed copy the ConfigMap carries (binaryData), made here once rather than at every synth: brotli at its
// best setting takes ~1 s, and a shipped file keeps the ConfigMap's bytes (and name) the same on every machine.
const raw = readFileSync(out);
writeFileSync(
  `${out}.br`,
  brotliCompressSync(raw, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length },
  }),
);

const { proxyConfigJsonSchema } = require('../lib/config/index.js');
writeFileSync('lib/config.schema.json', JSON.stringify(proxyConfigJsonSchema(), null, 2) + '\n');
console.log(`bundle: ${out} ${(size / 1024).toFixed(1)} KiB (${(statSync(`${out}.br`).size / 1024).toFixed(1)} KiB as brotli); schema: lib/config.schema.json`);
