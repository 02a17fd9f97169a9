/**
 * The public surface, entry point by entry point: the export list is snapshotted (so every change to it shows in
 * review), checked name by name where it matters, held against the package.json `exports` map and the built
 * lib/, and every type a public signature mentions must be exported too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const ENTRIES = { '.': 'src/index.ts', './testing': 'src/testing/index.ts', './config': 'src/config/index.ts', './simulate': 'src/simulate/index.ts' } as const;
type Entry = keyof typeof ENTRIES;

const program = ts.createProgram(
  Object.values(ENTRIES).map((f) => path.join(ROOT, f)),
  { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, skipLibCheck: true, types: ['node'] },
);
const checker = program.getTypeChecker();

function resolved(symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

function exportSymbols(entry: Entry): ts.Symbol[] {
  const source = program.getSourceFile(path.join(ROOT, ENTRIES[entry]))!;
  return checker.getExportsOfModule(checker.getSymbolAtLocation(source)!);
}

function kindOf(symbol: ts.Symbol): string {
  const f = resolved(symbol).flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  return 'const';
}

const TYPE_ONLY = new Set(['interface', 'type']);
const listing = (entry: Entry) => exportSymbols(entry).map((s) => `${kindOf(s)} ${s.name}`).sort();
const names = (entry: Entry) => exportSymbols(entry).map((s) => s.name);

/** What `require('cdk8s-balancer<subpath>')` gives, resolved by Node through the package's own `exports` map. */
function requireByPackageName(subpath: string): string[] {
  const script = `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(`cdk8s-balancer${subpath.slice(1)}`)})).sort()))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as string[];
}

describe('public API', () => {
  test.each(Object.keys(ENTRIES) as Entry[])('the export list of "%s"', (entry) => {
    expect(listing(entry)).toMatchSnapshot();
  });

  test('the root exports the constructs and the types of their public signatures, and no internals', () => {
    const root = names('.');
    for (const name of ['LoadBalancedApp', 'AppSubset', 'Gateway', 'Algorithm', 'Protocol', 'Discovery', 'WorkloadKind', 'PropsError', 'NamedPort', 'ResolvedAppProps', 'ProxyConfig']) {
      expect({ name, exported: root.includes(name) }).toEqual({ name, exported: true });
    }
    for (const name of ['invalid', 'show', 'sha256', 'checkPinnedImage', 'ProxyBundle', 'DEFAULTS', 'buildBalancerConfig', 'assertValidManifests', 'ProxyConfigSchema', 'DnsSourceSchema']) {
      expect({ name, exported: root.includes(name) }).toEqual({ name, exported: false });
    }
  });

  test('./testing exports the validator, and ./config the config contract, without their helpers', () => {
    expect(names('./testing')).toEqual(expect.arrayContaining(['validateManifests', 'assertValidManifests', 'ManifestValidationError', 'ManifestProblem']));
    expect(names('./testing')).not.toEqual(expect.arrayContaining(['isPinned']));
    expect(names('./config')).toEqual(expect.arrayContaining(['validateProxyConfig', 'ProxyConfigSchema', 'ListenerSchema', 'DiscoverySourceSchema', 'proxyConfigJsonSchema']));
    for (const name of ['deepFreeze', 'port', 'ms', 'host']) expect({ name, exported: names('./config').includes(name) }).toEqual({ name, exported: false });
  });

  test('no entry point exports a name twice with different meanings', () => {
    const meanings = new Map<string, Set<ts.Symbol>>();
    for (const e of Object.keys(ENTRIES) as Entry[]) {
      for (const s of exportSymbols(e)) meanings.set(s.name, (meanings.get(s.name) ?? new Set()).add(resolved(s)));
    }
    expect([...meanings].filter(([, symbols]) => symbols.size > 1).map(([name]) => name)).toEqual([]);
  });

  test('every type named in a public signature of ours is exported from an entry point', () => {
    const exported = new Set((Object.keys(ENTRIES) as Entry[]).flatMap((e) => exportSymbols(e).map(resolved)));
    const missing = new Set<string>();
    const visit = (owner: string, node: ts.Node): void => {
      // Signatures only: bodies and initializers are not part of the public surface.
      if (ts.isBlock(node) || isInitializer(node)) return;
      if ((ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node) || ts.isGetAccessor(node)) && !isPublic(node)) return;
      if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
        const at = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
        const symbol = checker.getSymbolAtLocation(at);
        const target = symbol && resolved(symbol);
        const file = target?.declarations?.[0]?.getSourceFile().fileName ?? '';
        if (target && !(target.flags & ts.SymbolFlags.TypeParameter) && file.startsWith(path.join(ROOT, 'src')) && !exported.has(target)) {
          missing.add(`${owner} mentions ${target.name} (${path.relative(ROOT, file)})`);
        }
      }
      node.forEachChild((child) => visit(owner, child));
    };
    for (const symbol of [...exported]) {
      for (const declaration of symbol.declarations ?? []) {
        if (declaration.getSourceFile().fileName.startsWith(path.join(ROOT, 'src'))) visit(symbol.name, declaration);
      }
    }
    expect([...missing].sort()).toEqual([]);
  });

  test('package.json maps each entry point onto lib/, keeping main and types for older resolvers', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('lib/index.js');
    expect(pkg.types).toBe('lib/index.d.ts');
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './config', './config.schema.json', './package.json', './simulate', './testing']);
    for (const entry of Object.keys(ENTRIES) as Entry[]) {
      const target = pkg.exports[entry];
      const dir = entry === '.' ? '' : `${entry.slice(2)}/`;
      expect(target).toEqual({ types: `./lib/${dir}index.d.ts`, default: `./lib/${dir}index.js` });
      if (entry !== '.') expect(pkg.typesVersions['*'][entry.slice(2)]).toEqual([`lib/${dir}index.d.ts`]);
    }
  });

  test.each(Object.keys(ENTRIES) as Entry[])('the built "%s" gives at runtime exactly the values its source exports', (entry) => {
    expect(existsSync(path.join(ROOT, 'lib/index.js'))).toBe(true); // npm test builds first
    const values = exportSymbols(entry).filter((s) => !TYPE_ONLY.has(kindOf(s)));
    expect(requireByPackageName(entry)).toEqual(values.map((s) => s.name).sort());
  });

  test('no declaration file in lib/ ships a member named with a leading underscore', () => {
    const dts = readdirSync(path.join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.d.ts') && !f.startsWith('proxy'));
    expect(dts.length).toBeGreaterThan(20);
    const leaks = dts.filter((f) => /^\s+(?:(?:public|readonly|static|protected)\s+)*_\w+[?(:]/m.test(readFileSync(path.join(ROOT, 'lib', f), 'utf8')));
    expect(leaks).toEqual([]);
  });
});

function isInitializer(node: ts.Node): boolean {
  const parent = node.parent as (ts.Node & { initializer?: ts.Node }) | undefined;
  return parent?.initializer === node;
}

function isPublic(node: ts.Node): boolean {
  const modifiers = ts.canHaveModifiers(node) ? ts.getModifiers(node) ?? [] : [];
  if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) return false;
  const name = (node as ts.NamedDeclaration).name;
  if (name && ts.isIdentifier(name) && name.text.startsWith('_')) return false;
  return !ts.getJSDocTags(node).some((t) => t.tagName.text === 'internal');
}
