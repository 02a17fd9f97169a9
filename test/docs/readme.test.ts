/**
 * The README's usage examples must compile against the real API and synthesize: each ```ts block that imports
 * 'cdk8s-balancer' or one of its entry points is type-checked with the project's compiler options and then run.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Testing, Yaml } from 'cdk8s';
import * as ts from 'typescript';
import { main } from '../../src/cli/main';
import { formatProblem, validateManifests } from '../../src/testing';
import { README, ROOT, runUsageExample, shBlocks, tsBlocks as blocks } from './readme-app';

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
      'cdk8s-balancer/simulate': ['src/simulate/index.ts'],
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

  test('the snapshot example snapshots through the snapshot helper, not the raw manifests with the bundle', () => {
    const snapshotting = blocks.filter((b) => b.includes('toMatchSnapshot()'));
    expect(snapshotting.length).toBeGreaterThanOrEqual(1);
    for (const b of snapshotting) {
      for (const line of b.split('\n').filter((l) => l.includes('toMatchSnapshot()'))) {
        expect(line).toMatch(/expect\((manifestsForSnapshot|synthForSnapshot)\(\w+\)\)\.toMatchSnapshot\(\)/);
      }
    }
  });

  test('the usage example synthesizes, and passes the validator, its consumer Deployment included', () => {
    const manifests = Testing.synth(runUsageExample());
    expect(manifests.map((o: { kind: string }) => o.kind)).toEqual(expect.arrayContaining(['Deployment', 'Service', 'ConfigMap', 'Job']));
    // Issue 8, finding 5: addConsumer hardens the consumer to restricted; the one Secret it names is made elsewhere.
    expect(validateManifests(manifests, { external: { secrets: ['api-credentials'] } }).map(formatProblem)).toEqual([]);
  });


  test('the CI job synthesizes, then validates dist/ with the CLI', () => {
    const job = shBlocks.find((b) => b.includes('cdk8s-balancer validate'))!.split('\n');
    const synth = job.findIndex((l) => /^npx cdk8s synth\b/.test(l));
    const validate = job.findIndex((l) => /^npx cdk8s-balancer validate .*dist\/$/.test(l));
    expect({ synth: synth >= 0, validate: validate >= 0, ordered: synth < validate }).toEqual({ synth: true, validate: true, ordered: true });
  });

  test('the CI job passes on the usage example, and without --external-secret prints what the README shows', async () => {
    // dist/ as `cdk8s synth` writes it (cdk8s' own YAML writer), in a fresh working directory.
    const work = mkdtempSync(path.join(tmpdir(), 'lb-readme-ci-'));
    mkdirSync(path.join(work, 'dist'));
    Yaml.save(path.join(work, 'dist/shop.k8s.yaml'), Testing.synth(runUsageExample()));
    const command = shBlocks.flatMap((b) => b.split('\n')).find((l) => l.startsWith('npx cdk8s-balancer validate'))!;
    const args = command.replace(/#.*$/, '').trim().split(/\s+/).slice(2);
    const run = async (argv: string[]) => {
      const out: string[] = [];
      const cwd = process.cwd();
      process.chdir(work);
      try {
        return { code: await main(argv, { out: (l) => out.push(l), err: (l) => out.push(l) }), out: out.join('\n') };
      } finally {
        process.chdir(cwd);
      }
    };
    expect(await run(args)).toEqual({ code: 0, out: 'cdk8s-balancer validate: 14 objects in 1 file: no problems' });
    const shown = /gives:\n\n```\n([\s\S]*?)\n```/.exec(README)![1];
    expect(await run(args.filter((a, i) => a !== '--external-secret' && args[i - 1] !== '--external-secret'))).toEqual({ code: 1, out: shown });
  });

  test('links to the API reference of each entry point, and the files exist', () => {
    for (const doc of ['docs/api/README.md', 'docs/api/cdk8s-balancer.md', 'docs/api/cdk8s-balancer/testing.md', 'docs/api/cdk8s-balancer/config.md', 'docs/api-report/']) {
      expect(README).toContain(`](${doc})`);
      expect({ doc, exists: existsSync(path.join(ROOT, doc)) }).toEqual({ doc, exists: true });
    }
  });
});
