/**
 * Finds the line of a problem's field in its YAML document, with `yaml`'s document model (source positions). Used
 * only for documents that have problems; a field that is missing (for example `resources.requests`) is located at
 * its deepest ancestor that exists.
 */
import { isMap, isScalar, isSeq, LineCounter, Node, parseDocument } from 'yaml';
import type { DocText } from './manifest-files';

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Locates fields in documents, parsing each document once. */
export class FieldLocator {
  private readonly parsed = new Map<DocText, { root: unknown; lines: LineCounter }>();

  /** The 1-based position of `field` (a problem's path, e.g. `spec.containers[0].image`) below `prefix` in `doc`. */
  public locate(doc: DocText, prefix: readonly (string | number)[], field: string): Position {
    const { root, lines } = this.parse(doc);
    let node = root;
    let at = positionOf(node, lines, doc);
    const tokens = [...prefix, ...tokenize(field)];
    for (let i = 0; i < tokens.length && node !== undefined; i++) {
      const step = stepInto(node, tokens, i);
      if (step === undefined) break;
      node = step.node;
      at = positionOf(step.keyNode ?? step.node, lines, doc) ?? at;
      i += step.consumed - 1;
    }
    return at ?? { line: doc.firstLine, column: 1 };
  }

  private parse(doc: DocText): { root: unknown; lines: LineCounter } {
    let p = this.parsed.get(doc);
    if (p === undefined) {
      const lines = new LineCounter();
      p = { root: parseDocument(doc.text, { lineCounter: lines }).contents, lines };
      this.parsed.set(doc, p);
    }
    return p;
  }
}

/** `a.b[0]["x/y"]` → `['a', 'b', 0, 'x/y']`. Plain segments may themselves hold dots (label keys); see stepInto. */
export function tokenize(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    out.push(m[1] !== undefined ? m[1] : m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]) as string));
  }
  return out;
}

interface Step {
  readonly node: unknown;
  readonly keyNode?: unknown;
  /** How many tokens the step used: a map key such as `app.kubernetes.io/name` spans several dotted tokens. */
  readonly consumed: number;
}

function stepInto(node: unknown, tokens: readonly (string | number)[], i: number): Step | undefined {
  if (isSeq(node)) {
    const index = tokens[i];
    return typeof index === 'number' && index < node.items.length ? { node: node.items[index], consumed: 1 } : undefined;
  }
  if (!isMap(node)) return undefined;
  for (let n = 1; i + n <= tokens.length; n++) {
    const key = tokens.slice(i, i + n).join('.');
    const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === key);
    if (pair) return { node: pair.value, keyNode: pair.key, consumed: n };
    if (typeof tokens[i + n] !== 'string') break;
  }
  return undefined;
}

function positionOf(node: unknown, lines: LineCounter, doc: DocText): Position | undefined {
  const range = (node as Node | undefined)?.range;
  if (range === undefined || range === null) return undefined;
  const pos = lines.linePos(range[0]);
  return { line: doc.firstLine + pos.line - 1, column: pos.col };
}
