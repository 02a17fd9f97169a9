/**
 * The validate command's output: one finding per problem, with its file, line, object, field and fix, written as
 * text (for people), JSON (for programs) or GitHub Actions annotations (for pull requests).
 */
import { formatProblem, ManifestProblem, ProblemCode, ProblemRule } from '../testing/problem';

export const FORMATS = ['text', 'json', 'github'] as const;
export type Format = (typeof FORMATS)[number];

/** A problem, or a YAML syntax error, at its place. */
export interface Finding {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  readonly rule: ProblemRule | 'yaml';
  readonly code: ProblemCode | 'YAML_INVALID';
  /** `Kind namespace/name`, as in ManifestProblem; empty for a YAML error. */
  readonly object: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** The field, e.g. `spec.template.spec.containers[0].image`; empty for the whole object. */
  readonly path: string;
  readonly value?: unknown;
  readonly message: string;
  readonly fix: string;
}

export interface Summary {
  readonly files: readonly string[];
  readonly objects: number;
  readonly findings: readonly Finding[];
  readonly notes: readonly string[];
}

/** The output lines for stdout; notes go to stderr, except in JSON, which carries them. */
export function render(format: Format, s: Summary): string[] {
  switch (format) {
    case 'text':
      return [...s.findings.flatMap(textLines), summaryLine(s)];
    case 'json':
      return [JSON.stringify(jsonReport(s), null, 2)];
    case 'github':
      return [...s.findings.map(githubLine), summaryLine(s)];
  }
}

function where(f: Finding): string {
  return `${f.file}:${f.line}:${f.column}`;
}

function problemText(f: Finding): string {
  if (f.rule === 'yaml') return `[${f.code}] ${f.message}`;
  const p: ManifestProblem = { rule: f.rule, code: f.code as ProblemCode, object: f.object, path: f.path, value: f.value, message: f.message };
  return formatProblem(p);
}

function textLines(f: Finding): string[] {
  return [`${where(f)}: ${problemText(f)}`, `    fix: ${f.fix}`];
}

export function summaryLine(s: Summary): string {
  const files = `${s.files.length} file${s.files.length === 1 ? '' : 's'}`;
  const objects = `${s.objects} object${s.objects === 1 ? '' : 's'}`;
  if (s.findings.length === 0) return `cdk8s-balancer validate: ${objects} in ${files}: no problems`;
  const n = s.findings.length;
  const inObjects = new Set(s.findings.filter((f) => f.object !== '').map((f) => `${f.file}\u0000${f.object}`)).size;
  const yaml = s.findings.filter((f) => f.rule === 'yaml').length;
  const parts = [`${n - yaml} problem${n - yaml === 1 ? '' : 's'} in ${inObjects} object${inObjects === 1 ? '' : 's'}`];
  if (yaml > 0) parts.push(`${yaml} YAML error${yaml === 1 ? '' : 's'}`);
  return `cdk8s-balancer validate: ${parts.join(' and ')} (${objects} in ${files} checked)`;
}

function jsonReport(s: Summary): unknown {
  return {
    ok: s.findings.length === 0,
    files: s.files,
    objects: s.objects,
    problems: s.findings,
    notes: s.notes,
  };
}

/** `::error file=...,line=...,col=...,title=CODE::message`, escaped as the Actions runner expects. */
function githubLine(f: Finding): string {
  const props = [`file=${f.file}`, `line=${f.line}`, `col=${f.column}`, `title=${f.code}`].map((p) => {
    const eq = p.indexOf('=');
    return `${p.slice(0, eq)}=${escapeProperty(p.slice(eq + 1))}`;
  });
  return `::error ${props.join(',')}::${escapeData(`${problemText(f)}. Fix: ${f.fix}`)}`;
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
