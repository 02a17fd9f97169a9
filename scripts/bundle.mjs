// Bundles the proxy into one file (lib/proxy.bundle.js) and writes the config's JSON Schema (lib/config.schema.json).
// Runs after tsc, so it can load the compiled config module for the schema.
import { build } from 'esbuild';
import { writeFileSync, statSync, chmodSync } from 'node:fs';
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

const { proxyConfigJsonSchema } = require('../lib/config/index.js');
writeFileSync('lib/config.schema.json', JSON.stringify(proxyConfigJsonSchema(), null, 2) + '\n');
console.log(`bundle: ${out} ${(size / 1024).toFixed(1)} KiB; schema: lib/config.schema.json`);
