import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const SIM = path.join(ROOT, 'src/simulate');
const sources = readdirSync(SIM).filter((f) => f.endsWith('.ts'));
const importsOf = (file: string) => [...readFileSync(path.join(SIM, file), 'utf8').matchAll(/(?:from|import\()\s*'([^']+)'/g)].map((m) => m[1]);

describe('simulator boundaries', () => {
  test('finds the simulator sources', () => {
    expect(sources).toEqual(expect.arrayContaining(['index.ts', 'simulate.ts', 'replica.ts', 'plots.ts']));
  });

  test('imports no cdk8s, and the plotting packages only through the on-demand loader', () => {
    const bad = sources.flatMap((f) => importsOf(f).filter((s) => /^(cdk8s(-plus-\d+)?|constructs|vega(-lite)?|@resvg\/resvg-js)(\/|$)/.test(s)).map((s) => `${f}: ${s}`));
    expect(bad).toEqual([]);
    expect(readFileSync(path.join(SIM, 'plots.ts'), 'utf8')).toMatch(/load<VegaLite>\('vega-lite'/);
  });

  test('re-implements no proxy decision: the replica builds the real Router and uses the shared try-outcome functions', () => {
    const replica = readFileSync(path.join(SIM, 'replica.ts'), 'utf8');
    expect(replica).toMatch(/new Router\(/);
    expect(replica).toMatch(/from '\.\.\/proxy\/resilience\/try-outcome'/);
    expect(readFileSync(path.join(ROOT, 'src/proxy/exchange.ts'), 'utf8')).toMatch(/from '\.\/resilience\/try-outcome'/);
    expect(readFileSync(path.join(SIM, 'simulate.ts'), 'utf8')).toMatch(/createBalancer\(config\.algorithm/);
  });

  test('the package root and the proxy never load the simulator', () => {
    const offenders = ['src/index.ts', 'src/proxy/main.ts', 'src/proxy/router.ts', 'src/proxy/exchange.ts'].filter((f) =>
      /simulate/.test(readFileSync(path.join(ROOT, f), 'utf8').split('\n').filter((l) => /^import|require\(/.test(l)).join('\n')),
    );
    expect(offenders).toEqual([]);
  });

  test('every simulator file stays under 400 lines', () => {
    const long = sources.filter((f) => readFileSync(path.join(SIM, f), 'utf8').split('\n').length > 400);
    expect(long).toEqual([]);
  });
});
