// `npm run docs:api`: regenerates what docs/ derives from the public API, after `tsc` has written lib/*.d.ts:
//  - docs/api-report/*.api.md: API Extractor's report of each entry point's public surface (`.`, `./testing`,
//    `./config`), from lib/**/*.d.ts, so a change to the public API shows in review;
//  - docs/api/: the API reference, rendered from the TSDoc by typedoc and typedoc-plugin-markdown (typedoc.json).
// test/docs/api-reference.test.ts fails when either is stale.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { CompilerState, Extractor, ExtractorConfig } = require('@microsoft/api-extractor');

export const API_EXTRACTOR_CONFIGS = ['cdk8s-balancer', 'testing', 'config'].map((n) => path.join(root, 'scripts/api-extractor', `${n}.json`));

let failed = false;
const configs = API_EXTRACTOR_CONFIGS.map((file) => ExtractorConfig.loadFileAndPrepare(file));
// One TypeScript program for the three entry points, not three.
const compilerState = CompilerState.create(configs[0], { additionalEntryPoints: configs.map((c) => c.mainEntryPointFilePath) });
for (const config of configs) {
  const result = Extractor.invoke(config, { localBuild: true, compilerState, messageCallback: quietUpdates });
  if (!result.succeeded) failed = true;
  console.log(`docs:api: ${path.relative(root, config.reportFilePath)}${result.apiReportChanged ? ' (updated)' : ''}`);
}

const start = Date.now();
execFileSync(process.execPath, [path.join(root, 'node_modules/typedoc/bin/typedoc'), '--options', path.join(root, 'typedoc.json'), '--logLevel', 'Warn'], { cwd: root, stdio: 'inherit' });
console.log(`docs:api: docs/api/ (typedoc, ${((Date.now() - start) / 1000).toFixed(1)} s)`);
if (failed) {
  console.error('docs:api: API Extractor reported errors (above); fix them in the exported declarations');
  process.exit(1);
}

/** A local build updates the report in place (that is the point, not a warning); the bundled compiler is expected. */
function quietUpdates(message) {
  if (['console-api-report-copied', 'console-api-report-created', 'console-compiler-version-notice'].includes(message.messageId)) message.logLevel = 'none';
}
