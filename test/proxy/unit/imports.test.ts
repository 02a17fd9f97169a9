import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../../../src/proxy');
const FORBIDDEN = /^(cdk8s|cdk8s-plus(-\d+)?|constructs)(\/|$)/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  return out;
}

describe('dependency direction: constructs -> config <- proxy', () => {
  const all = files(ROOT);

  test('finds the proxy sources', () => {
    expect(all.length).toBeGreaterThan(10);
    expect(importsOf("import { a } from 'cdk8s';\nconst x = require('constructs');")).toEqual(['cdk8s', 'constructs']);
  });

  test('no file under src/proxy imports cdk8s, cdk8s-plus or constructs, or reaches into src/constructs', () => {
    const bad: string[] = [];
    for (const f of all) {
      for (const spec of importsOf(readFileSync(f, 'utf8'))) {
        const intoConstructs = spec.startsWith('.') && join(f, '..', spec).startsWith(join(ROOT, '../constructs'));
        if (FORBIDDEN.test(spec) || intoConstructs) bad.push(`${relative(ROOT, f)} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
