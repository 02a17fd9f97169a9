/**
 * Helpers for the snapshot-helper tests: jest's own snapshot serialization, and the leaves of JSON values.
 */
import { format } from 'pretty-format';

/** What `toMatchSnapshot()` stores for `value` (jest 29's defaults: no prototypes, strings unescaped). */
export function snapshotText(value: unknown): string {
  return format(value, { escapeRegex: true, indent: 2, printFunctionName: false, escapeString: false, printBasicPrototype: false });
}

/** Every leaf of a JSON value, keyed by path (`[3].spec.template.metadata.annotations["a/b"]`). */
export function leaves(value: unknown, at = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, p: string): void => {
    if (Array.isArray(v)) {
      if (v.length === 0) out.set(p, v);
      v.forEach((x, i) => walk(x, `${p}[${i}]`));
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length === 0) out.set(p, v);
      for (const k of keys) walk((v as Record<string, unknown>)[k], /^[A-Za-z_]\w*$/.test(k) ? `${p}.${k}` : `${p}[${JSON.stringify(k)}]`);
    } else {
      out.set(p, v);
    }
  };
  walk(value, at);
  return out;
}

/** Paths whose leaf differs between two values of the same shape (or exists in only one). */
export function changedLeaves(a: unknown, b: unknown): string[] {
  const la = leaves(a);
  const lb = leaves(b);
  const paths = new Set([...la.keys(), ...lb.keys()]);
  return [...paths].filter((p) => !la.has(p) || !lb.has(p) || JSON.stringify(la.get(p)) !== JSON.stringify(lb.get(p)));
}

/** A copy of `root` with the leaf at `path` (as `leaves` names it) replaced by `f(old)`; `root` is not changed. */
export function withLeaf(root: unknown, path: string, f: (old: unknown) => unknown): unknown {
  const segments = [...path.matchAll(/\.([A-Za-z_]\w*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)].map(
    (m): string | number => (m[1] !== undefined ? m[1] : m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]) as string)),
  );
  const set = (node: unknown, i: number): unknown => {
    if (i === segments.length) return f(node);
    const seg = segments[i];
    if (Array.isArray(node)) return node.map((x, j) => (j === seg ? set(x, i + 1) : x));
    const rec = node as Record<string, unknown>;
    return { ...rec, [seg]: set(rec[seg as string], i + 1) };
  };
  return set(root, 0);
}
