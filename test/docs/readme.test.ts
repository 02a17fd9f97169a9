/**
 * The README's usage examples must compile against the real API and synthesize: each ```ts block that imports
 * 'cdk8s-balancer' or one of its entry points is type-checked with the project's compiler options and then run.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { formatProblem, validateManifests } from '../../src/testing';

const ROOT = path.resolve(__dirname, '../..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const IMPORTS_PACKAGE = /from 'cdk8s-balancer(\/(testing|config))?'/;
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => IMPORTS_PACKAGE.test(b));

/** Type-checks every source in one program (one compiler start-up); returns the diagnostics per source. */
function typeCheck(sources: readonly string[]): string[][] {
  const files = sources.map((_s, i) => path.join(ROOT, `test/docs/__readme_example_${i}__.ts`));
  const byFile = new Map(files.map((f, i) => [f, sources[i]]));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node', 'jest'],
    baseUrl: ROOT,
    paths: {
      'cdk8s-balancer': ['src/index.ts'],
      'cdk8s-balancer/testing': ['src/testing/index.ts'],
      'cdk8s-balancer/config': ['src/config/index.ts'],
    },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => byFile.get(path.resolve(f)) ?? readFile(f);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => byFile.has(path.resolve(f)) || fileExists(f);
  const program = ts.createProgram(files, options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  return files.map((f) =>
    diagnostics
      .filter((d) => d.file && path.resolve(d.file.fileName) === f)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  );
}

function withPrelude(block: string): string {
  // The snapshot example uses a `chart` from the usage example; give it one.
  if (block.includes('new Chart(')) return block;
  const prelude = "import { Chart as _C, Testing } from 'cdk8s';\nconst chart = new _C(Testing.app(), 'c');\n";
  return prelude + block.replace(/^import \{ Testing \} from 'cdk8s';\n/m, '');
}

describe('README', () => {
  test('has usage examples that import the library and its testing entry point', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(blocks.some((b) => b.includes("from 'cdk8s-balancer/testing'"))).toBe(true);
  });

  test('every example type-checks against the real API', () => {
    expect(typeCheck(blocks.map(withPrelude))).toEqual(blocks.map(() => []));
  });

  test('the type check catches a wrong prop', () => {
    const broken = withPrelude(blocks[0].replace('replicas: 3,', "replicas: 'three',"));
    expect(typeCheck([broken])[0].join('\n')).toMatch(/replicas|string/);
  });

  test('the usage example synthesizes', () => {
    const usage = blocks.find((b) => b.includes('new LoadBalancedApp('))!;
    const js = ts.transpileModule(usage.replace("from 'cdk8s-balancer'", `from '${path.join(ROOT, 'src/index')}'`), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    const synthed = jest.fn();
    const manifests: unknown[] = [];
    // Run it with App.synth replaced, so nothing is written to disk.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cdk8s = require('cdk8s');
    const spy = jest.spyOn(cdk8s.App.prototype, 'synth').mockImplementation(function (this: { charts: { toJson(): unknown[] }[] }) {
      synthed(this.charts.length);
      for (const c of this.charts) manifests.push(...c.toJson());
    });
    try {
      new Function('require', 'exports', js)(require, {});
    } finally {
      spy.mockRestore();
    }
    expect(synthed).toHaveBeenCalledWith(1);
    // Issue 8, finding 5: the README's own example passes the validator, its consumer Deployment included. The one
    // Secret it names is created outside (AppSecret.fromExisting), as the snapshot example says.
    expect(validateManifests(manifests as never, { external: { secrets: ['api-credentials'] } }).map(formatProblem)).toEqual([]);
  });
});
