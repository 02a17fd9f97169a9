/**
 * The README's examples as tests use them: its ```ts blocks that import the library, its ```sh blocks, and its
 * usage example run for real (against src/), returning the chart it builds.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Chart } from 'cdk8s';
import * as ts from 'typescript';

export const ROOT = path.resolve(__dirname, '../..');
export const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const IMPORTS_PACKAGE = /from 'cdk8s-balancer(\/(testing|config|simulate))?'/;

/** The ```ts blocks that import 'cdk8s-balancer' or one of its entry points. */
export const tsBlocks: readonly string[] = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => IMPORTS_PACKAGE.test(b));

/** The ```sh blocks. */
export const shBlocks: readonly string[] = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);

/** The usage example: the block that builds a LoadBalancedApp. */
export const usageBlock: string = tsBlocks.find((b) => b.includes('new LoadBalancedApp('))!;

export interface RunOptions {
  /** Props merged into every LoadBalancedApp the example builds, e.g. a fake `proxy.bundleFile`. */
  readonly extraProps?: Record<string, unknown>;
}

/**
 * Runs the usage example against src/ with `App.synth` replaced (nothing is written to disk) and returns the chart
 * it built.
 */
export function runUsageExample(options: RunOptions = {}): Chart {
  const js = ts.transpileModule(usageBlock, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cdk8s = require('cdk8s') as typeof import('cdk8s');
  const lib = withExtraProps(options.extraProps);
  const charts: Chart[] = [];
  const spy = jest.spyOn(cdk8s.App.prototype, 'synth').mockImplementation(function (this: InstanceType<typeof cdk8s.App>) {
    charts.push(...this.charts);
  });
  try {
    const load = (id: string): unknown => (id === 'cdk8s-balancer' ? lib : require(id));
    new Function('require', 'exports', js)(load, {});
  } finally {
    spy.mockRestore();
  }
  expect(charts).toHaveLength(1);
  return charts[0];
}

function withExtraProps(extra: Record<string, unknown> | undefined): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const real = require('../../src') as typeof import('../../src');
  if (extra === undefined) return real;
  class LoadBalancedApp extends real.LoadBalancedApp {
    constructor(scope: ConstructorParameters<typeof real.LoadBalancedApp>[0], id: string, props: ConstructorParameters<typeof real.LoadBalancedApp>[2]) {
      super(scope, id, { ...props, ...extra });
    }
  }
  return { ...real, LoadBalancedApp };
}
