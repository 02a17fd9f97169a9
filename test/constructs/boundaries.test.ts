import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '../../src/constructs');

describe('dependency direction: constructs -> config <- proxy', () => {
  const files = readdirSync(SRC).filter((f) => f.endsWith('.ts'));
  const imports = (file: string) =>
    [...readFileSync(path.join(SRC, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);

  test('the constructs import the shared config, and never the proxy runtime or the test helpers', () => {
    const all = files.flatMap((f) => imports(f).map((i) => `${f}: ${i}`));
    expect(all.filter((line) => /'?\.\.\/(proxy|testing)\b/.test(line.split(': ')[1]))).toEqual([]);
    expect(all.some((line) => line.endsWith(': ../config'))).toBe(true);
  });

  test('index.ts only re-exports', () => {
    const lines = readFileSync(path.join(SRC, 'index.ts'), 'utf8').trim().split('\n');
    expect(lines.filter((l) => !/^export \* from '\.\/[a-z-]+';$/.test(l))).toEqual([]);
    const exported = lines.map((l) => l.replace(/^export \* from '\.\/([a-z-]+)';$/, '$1.ts'));
    // every module with public API is exported; helpers for the composite stay internal
    const internal = ['index.ts', 'app-workloads.ts', 'consumer.ts', 'hashed-config-map.ts', 'jobs.ts', 'security.ts', 'validate-props.ts'];
    expect(files.filter((f) => !internal.includes(f) && !exported.includes(f))).toEqual([]);
  });

  test('every file stays under 400 lines', () => {
    const long = files.map((f) => [f, readFileSync(path.join(SRC, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });
});
