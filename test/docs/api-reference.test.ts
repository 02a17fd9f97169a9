/**
 * The generated API docs stay in step with the code: docs/api-report/*.api.md (API Extractor's report of each entry
 * point's public surface) and docs/api/ (the typedoc reference) must be what `npm run docs:api` makes of the code
 * now. Both checks read the built lib/*.d.ts or the sources; `npm test` builds first.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CompilerState, Extractor, ExtractorConfig, ExtractorMessage } from '@microsoft/api-extractor';

const ROOT = path.resolve(__dirname, '../..');
const FIX = 'fix: run `npm run docs:api` and commit docs/';
const CONFIGS = ['cdk8s-balancer', 'testing', 'config'].map((n) => path.join(ROOT, 'scripts/api-extractor', `${n}.json`));

/** Runs API Extractor as CI does (no local update) with `entry` overridden; returns each report's verdict. */
function checkReports(entries: (file: string) => string = (f) => f): { report: string; changed: boolean; errors: number }[] {
  const temp = mkdtempSync(path.join(tmpdir(), 'lb-api-report-'));
  const configs = CONFIGS.map((file) => {
    const configObject = ExtractorConfig.loadFile(file);
    const main = entries(configObject.mainEntryPointFilePath.replace('<projectFolder>', ROOT));
    return ExtractorConfig.prepare({
      configObject: { ...configObject, mainEntryPointFilePath: main, apiReport: { ...configObject.apiReport!, reportTempFolder: temp } },
      configObjectFullPath: file,
      packageJsonFullPath: path.join(ROOT, 'package.json'),
    });
  });
  const compilerState = CompilerState.create(configs[0], { additionalEntryPoints: configs.map((c) => c.mainEntryPointFilePath) });
  const quiet = (m: ExtractorMessage) => {
    m.logLevel = 'none' as ExtractorMessage['logLevel'];
  };
  return configs.map((config) => {
    const result = Extractor.invoke(config, { localBuild: false, compilerState, messageCallback: quiet });
    return { report: path.relative(ROOT, config.reportFilePath), changed: result.apiReportChanged, errors: result.errorCount };
  });
}

describe('API report (docs/api-report)', () => {
  beforeAll(() => expect(existsSync(path.join(ROOT, 'lib/index.d.ts'))).toBe(true)); // npm test builds first

  test('matches the public surface of every entry point', () => {
    const stale = checkReports().filter((r) => r.changed || r.errors > 0);
    expect(stale.map((r) => `${r.report} is stale: the public API of its entry point changed; ${FIX}`)).toEqual([]);
  });

  test('fails when an entry point exports one more name', () => {
    // A copy of lib/testing with an extra export, checked against the committed
    // report. It lives in the project, so that its imports of cdk8s resolve, but outside lib/, which other tests read.
    const copy = mkdtempSync(path.join(ROOT, '.api-check-'));
    const entry = path.join(copy, 'testing', 'index.d.ts');
    try {
      cpSync(path.join(ROOT, 'lib/testing'), path.join(copy, 'testing'), { recursive: true });
      writeFileSync(entry, `${readFileSync(entry, 'utf8')}export declare const sneaky: number;\n`);
      const verdicts = checkReports((f) => (f.endsWith(path.join('lib', 'testing', 'index.d.ts')) ? entry : f));
      expect(verdicts.map((v) => [v.report, v.changed])).toEqual([
        ['docs/api-report/cdk8s-balancer.api.md', false],
        ['docs/api-report/cdk8s-balancer-testing.api.md', true],
        ['docs/api-report/cdk8s-balancer-config.api.md', false],
      ]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('API reference (docs/api)', () => {
  test('is what typedoc makes of the sources now', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'lb-api-docs-'));
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--options', path.join(ROOT, 'typedoc.json'), '--out', out, '--logLevel', 'Error'], { cwd: ROOT });
    const list = (dir: string) => (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.md')).sort();
    const committed = path.join(ROOT, 'docs/api');
    expect(list(committed)).toEqual(list(out));
    const stale = list(out).filter((f) => readFileSync(path.join(out, f), 'utf8') !== readFileSync(path.join(committed, f), 'utf8'));
    expect(stale.map((f) => `docs/api/${f} is stale: the TSDoc or the public API changed; ${FIX}`)).toEqual([]);
  }, 120_000);

  test('documents every prop with its @default', () => {
    const root = readFileSync(path.join(ROOT, 'docs/api/cdk8s-balancer.md'), 'utf8');
    const props = root.slice(root.indexOf('### LoadBalancedAppProps'), root.indexOf('### MigrationJobOptions'));
    expect(props).toContain('`replicas?`');
    expect(props).toMatch(/`algorithm\?`.*\*\*Default\*\* `Algorithm\.roundRobin\(\)`/);
    expect(readFileSync(path.join(ROOT, 'docs/api/cdk8s-balancer/testing.md'), 'utf8')).toContain('synthForSnapshot');
  });
});
