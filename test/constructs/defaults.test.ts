/**
 * The `@default` doc comments of every public props interface against the one table of defaults
 * (src/constructs/internal/defaults.ts), so that what the docs promise is what the constructs do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as ts from 'typescript';
import { Algorithm, Discovery, ExternalTrafficPolicy, Protocol, ProxyImage, SessionAffinity, TlsVersion, UnhealthyPodEvictionPolicy, WorkloadKind } from '../../src';
import { DEFAULTS } from '../../src/constructs/internal/defaults';

const ROOT = path.resolve(__dirname, '../..');
const CONSTRUCTS = path.join(ROOT, 'src/constructs');

/** One documented prop: its interface, its name, its `@default` text, and its whole doc comment. */
interface DocumentedProp {
  readonly iface: string;
  readonly prop: string;
  readonly tag?: string;
  readonly doc: string;
}

function documentedProps(fileName: string, text: string): DocumentedProp[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const out: DocumentedProp[] = [];
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node)) return;
    for (const member of node.members) {
      if (!ts.isPropertySignature(member) || !ts.isIdentifier(member.name)) continue;
      const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === 'default');
      const comment = tag === undefined ? undefined : ts.getTextOfJSDocComment(tag.comment)?.replace(/\s+/g, ' ').trim();
      out.push({ iface: node.name.text, prop: member.name.text, tag: comment, doc: member.getFullText().replace(/\s*\*\s*/g, ' ') });
    }
  });
  return out;
}

const PUBLIC_FILES = readdirSync(CONSTRUCTS).filter((f) => f.endsWith('.ts'));
const PROPS = PUBLIC_FILES.flatMap((f) => documentedProps(f, readFileSync(path.join(CONSTRUCTS, f), 'utf8')));
const TABLE = DEFAULTS as unknown as Record<string, Record<string, unknown>>;

/** `@default <expression>` or `@default <expression> - <note>`; `@default - <behaviour>` has no expression. */
function expressionOf(tag: string): string | undefined {
  return tag.startsWith('-') ? undefined : tag.split(' - ')[0].trim();
}

const SCOPE = { Duration, kplus, Algorithm, Discovery, ExternalTrafficPolicy, Protocol, ProxyImage, SessionAffinity, TlsVersion, UnhealthyPodEvictionPolicy, WorkloadKind };

function evaluate(expression: string): unknown {
  return new Function(...Object.keys(SCOPE), `return (${expression});`)(...Object.values(SCOPE));
}

/** Durations compare by length, choices (Algorithm, WorkloadKind, ...) by their fields. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Duration ? `${v.toMilliseconds()} ms` : v));
}

/** Every literal `@default` that differs from the table, or has no entry in it. */
function mismatches(props: readonly DocumentedProp[]): string[] {
  return props.flatMap(({ iface, prop, tag }) => {
    const expression = tag === undefined ? undefined : expressionOf(tag);
    if (expression === undefined) return [];
    const entry = TABLE[iface];
    if (entry === undefined || !(prop in entry)) return [`${iface}.${prop}: @default ${expression} has no entry in DEFAULTS`];
    const [doc, table] = [canonical(evaluate(expression)), canonical(entry[prop])];
    return doc === table ? [] : [`${iface}.${prop}: @default ${expression} is ${doc}, DEFAULTS says ${table}`];
  });
}

function doc(iface: string, prop: string): string {
  const found = PROPS.find((p) => p.iface === iface && p.prop === prop);
  if (!found) throw new Error(`no documented prop ${iface}.${prop}`);
  return found.doc;
}

/** "requests 50m CPU and 64Mi memory, limit 192Mi memory", from resources. */
function describeResources(r: kplus.ContainerResources): { cpu: string; memory: string; limit: string } {
  const mi = (s: Size | undefined) => `${s?.toMebibytes()}Mi`;
  return { cpu: r.cpu?.request?.amount ?? '', memory: mi(r.memory?.request), limit: mi(r.memory?.limit) };
}

describe('@default docs against the table of defaults', () => {
  test('the docs hold enough literal defaults for this test to mean something', () => {
    const literal = PROPS.filter((p) => p.tag !== undefined && expressionOf(p.tag) !== undefined);
    expect(literal.length).toBeGreaterThanOrEqual(60);
  });

  test('every literal @default equals the table entry', () => {
    expect(mismatches(PROPS)).toEqual([]);
  });

  test('a @default that drifts from the table is caught', () => {
    const drifted = documentedProps('x.ts', 'export interface GatewayOptions {\n  /**\n   * Port.\n   * @default 8081\n   */\n  readonly port?: number;\n}\n');
    expect(mismatches(drifted)).toEqual(['GatewayOptions.port: @default 8081 is 8081, DEFAULTS says 8080']);
  });

  test('every table entry of a props interface is documented with @default', () => {
    const interfaces = new Set(PROPS.map((p) => p.iface));
    const undocumented = Object.entries(TABLE)
      .filter(([iface]) => interfaces.has(iface))
      .flatMap(([iface, entry]) => Object.keys(entry).map((prop) => ({ iface, prop })))
      .filter(({ iface, prop }) => PROPS.find((p) => p.iface === iface && p.prop === prop)?.tag === undefined)
      .map(({ iface, prop }) => `${iface}.${prop}`);
    expect(undocumented).toEqual([]);
  });

  test('the defaults told in prose are the table’s: app container, bare Pod, proxy image and resources', () => {
    const app = describeResources(DEFAULTS.AppContainer.resources);
    expect(doc('LoadBalancedAppProps', 'container')).toContain(`${app.cpu}/${app.memory} requests and a ${app.limit} limit`);
    expect(doc('LoadBalancedAppProps', 'container')).toContain(`default ${DEFAULTS.AppContainer.user}`);
    expect(doc('LoadBalancedAppProps', 'replicas')).toContain(`${DEFAULTS.BarePod.replicas} for a bare Pod`);
    expect(doc('ProxyOptions', 'image')).toContain(`${DEFAULTS.ProxyImage.image} as uid ${DEFAULTS.ProxyImageOptions.user}`);
    const proxy = describeResources(DEFAULTS.ProxyOptions.resources);
    expect(doc('ProxyOptions', 'resources')).toContain(`requests ${proxy.cpu} CPU and ${proxy.memory} memory, limit ${proxy.limit} memory`);
  });

  test('the README tells the proxy’s resources as the table has them', () => {
    const proxy = describeResources(DEFAULTS.ProxyOptions.resources);
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(`proxy: ${proxy.cpu} / ${proxy.memory}, limit ${proxy.limit}`);
  });
});
