import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '../../src');
const CONSTRUCTS = path.join(SRC, 'constructs');

/** Every .ts file below `dir`, relative to it. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).sort();
}

function read(file: string): string {
  return readFileSync(file, 'utf8');
}

function importsOf(file: string): string[] {
  return [...read(file).matchAll(/from '([^']+)'/g)].map((m) => m[1]);
}

describe('dependency direction: constructs -> config <- proxy', () => {
  const files = tsFiles(CONSTRUCTS);

  test('the constructs import the shared config, and never the proxy runtime or the test helpers', () => {
    const all = files.flatMap((f) => importsOf(path.join(CONSTRUCTS, f)).map((i) => `${f}: ${i}`));
    expect(all.filter((line) => /^(\.\.\/)+(proxy|testing)(\/|$)/.test(line.split(': ')[1]))).toEqual([]);
    expect(all.some((line) => /: (\.\.\/)+config(\/\w+)?$/.test(line))).toBe(true);
  });

  test('the constructs module has no index: the package root names each public export', () => {
    expect(files).not.toContain('index.ts');
  });

  test('only the package root re-exports, and it exports nothing from an internal module', () => {
    const root = read(path.join(SRC, 'index.ts'));
    expect(root).not.toMatch(/export \*/);
    const sources = [...root.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(sources.filter((s) => s.includes('internal'))).toEqual([]);
    // every public module of the constructs contributes to the root; internal/ never does
    const publicModules = files.filter((f) => !f.startsWith('internal/')).map((f) => `./constructs/${f.replace(/\.ts$/, '')}`);
    expect(publicModules.filter((m) => !sources.includes(m))).toEqual([]);
  });

  test('no entry point uses export *', () => {
    for (const entry of ['index.ts', 'config/index.ts', 'testing/index.ts']) {
      expect({ entry, exportStar: /export \*/.test(read(path.join(SRC, entry))) }).toEqual({ entry, exportStar: false });
    }
  });

  test('token mounting and the ServiceAccount of our pods are set in one place, from the discovery bindings', () => {
    const writers = files.filter((f) => /automountServiceAccountToken\s*:/.test(read(path.join(CONSTRUCTS, f))));
    expect(writers).toEqual(['internal/security.ts']);
    // discovery.ts makes the binding (Discovery.bind names the account); only security.ts puts it on pods.
    const accounts = files.filter((f) => /serviceAccount\s*:/.test(read(path.join(CONSTRUCTS, f))));
    expect(accounts).toEqual(['discovery.ts', 'internal/security.ts']);
    const patches = files.filter((f) => /serviceAccountName|automountServiceAccountToken`/.test(read(path.join(CONSTRUCTS, f))));
    expect(patches).toEqual(['internal/security.ts']);
  });

  test('every source file stays under 400 lines', () => {
    const long = tsFiles(SRC)
      .filter((f) => !f.startsWith('proxy/'))
      .map((f) => [f, read(path.join(SRC, f)).split('\n').length] as const)
      .filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });
});
