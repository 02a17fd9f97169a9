/**
 * `cdk8s-balancer validate <files or directories>`: the manifest validator of `cdk8s-balancer/testing` for YAML that
 * any tool wrote (`cdk8s synth`, `helm template`, `kustomize build`). Exit codes: 0 no problems, 1 problems (or YAML
 * that does not parse), 2 a usage error or input that cannot be read.
 */
import { parseArgs } from 'node:util';
import { toManifest } from '../testing/manifest';
import type { ManifestProblem, ProblemCode } from '../testing/problem';
import type { ValidateManifestsOptions } from '../testing/validate';
import { validateManifests } from '../testing/validate';
import type { Command, CommandIo } from './command';
import { fixFor, PROBLEM_CODES } from './fixes';
import { FieldLocator } from './locate';
import { InputError, readManifests, ReadResult, SourcedObject } from './manifest-files';
import { Finding, Format, FORMATS, render } from './report';

const HELP = `usage: cdk8s-balancer validate [options] <file or directory>...

Checks Kubernetes YAML (multi-document; directories are searched for .yaml and .yml files, \`-\` reads stdin)
against the Kubernetes 1.27 schema, cross-object rules (selectors, Service ports, references), the Pod Security
"restricted" profile, hardening rules and Secret hygiene: the rules of validateManifests in cdk8s-balancer/testing.

options:
  --format text|json|github          output: text (default), JSON, or GitHub Actions ::error annotations
  --external-secret NAME             a Secret created elsewhere, so references to it are fine (repeatable)
  --external-config-map NAME         a ConfigMap created elsewhere (repeatable)
  --external-service-account NAME    a ServiceAccount created elsewhere (repeatable)
  --external-pvc NAME                a PersistentVolumeClaim created elsewhere (repeatable)
  --allow-kind KIND                  a CRD kind to accept without a schema, as Kind or apiVersion/Kind (repeatable)
  --ignore CODE                      drop problems with this code, e.g. HARDEN_READ_ONLY_ROOT_FS (repeatable)
  --default-namespace NS             namespace of objects that set none (default: default)
  --no-unknown-fields                accept fields the 1.27 schema does not define
  --no-pod-security                  skip the Pod Security "restricted" checks
  --no-hardening                     skip readOnlyRootFilesystem, pinned images and resource requests
  --no-secret-hygiene                skip the check that no Secret value is copied into another object
  -h, --help                         this help

Repeatable options also take a comma-separated list. Exit codes: 0 no problems, 1 problems or YAML errors,
2 usage error or unreadable input.`;

const LIST = { type: 'string', multiple: true } as const;
const FLAG = { type: 'boolean' } as const;
const OPTIONS = {
  format: { type: 'string' },
  'external-secret': LIST,
  'external-config-map': LIST,
  'external-service-account': LIST,
  'external-pvc': LIST,
  'allow-kind': LIST,
  ignore: LIST,
  'default-namespace': { type: 'string' },
  'no-unknown-fields': FLAG,
  'no-pod-security': FLAG,
  'no-hardening': FLAG,
  'no-secret-hygiene': FLAG,
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

interface Parsed {
  readonly help: boolean;
  readonly format: Format;
  readonly paths: readonly string[];
  readonly options: ValidateManifestsOptions;
}

/** Parses the command line; throws a UsageError that names the flag and the fix. */
export function parseValidateArgs(argv: readonly string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const unknown = /'(-[^']*)'/.exec((e as Error).message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${unknown}; fix: see \`cdk8s-balancer validate --help\` for the options`);
    throw new UsageError(`${(e as Error).message.split('\n')[0]}; fix: see \`cdk8s-balancer validate --help\``);
  }
  const v = parsed.values;
  const format = v.format ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')} (got ${JSON.stringify(format)}); fix: e.g. --format json`);
  }
  const list = (xs: readonly string[] | undefined): string[] => (xs ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');
  const ignore = list(v.ignore);
  const bad = ignore.filter((c) => !PROBLEM_CODES.includes(c));
  if (bad.length > 0) {
    throw new UsageError(`--ignore ${bad.join(',')}: no such problem code; fix: use one of ${PROBLEM_CODES.join(', ')}`);
  }
  if (v['default-namespace'] === '') throw new UsageError('--default-namespace is empty; fix: give a namespace, e.g. --default-namespace prod');
  if (!v.help && parsed.positionals.length === 0) {
    throw new UsageError('no input given; fix: name the YAML files or directories to check, e.g. `cdk8s-balancer validate dist/` (or `-` for stdin)');
  }
  return {
    help: v.help ?? false,
    format: format as Format,
    paths: parsed.positionals,
    options: {
      external: {
        secrets: list(v['external-secret']),
        configMaps: list(v['external-config-map']),
        serviceAccounts: list(v['external-service-account']),
        persistentVolumeClaims: list(v['external-pvc']),
      },
      allowKinds: list(v['allow-kind']),
      ignore: ignore as ProblemCode[],
      unknownFields: !v['no-unknown-fields'],
      podSecurity: !v['no-pod-security'],
      hardening: !v['no-hardening'],
      secretHygiene: !v['no-secret-hygiene'],
      defaultNamespace: v['default-namespace'],
    },
  };
}

/** Validates what `input` read and places each problem at its file and line. */
export function findingsOf(input: ReadResult, options: ValidateManifestsOptions): Finding[] {
  const values = input.objects.map((o) => o.value);
  const problems = validateManifests(values, options);
  const locator = new FieldLocator();
  const defaultNamespace = options.defaultNamespace ?? 'default';
  const sources = sourcesByLabel(input.objects, defaultNamespace);
  const duplicatesSeen = new Map<string, number>();
  const findings: Finding[] = input.yamlErrors.map((e) => ({
    file: e.file,
    line: e.line,
    column: e.column,
    rule: 'yaml' as const,
    code: 'YAML_INVALID' as const,
    object: '',
    path: '',
    message: `the YAML does not parse: ${e.message}`,
    fix: 'correct the YAML at this line; the rest of the file and the other files were still checked',
  }));
  for (const p of problems) {
    const candidates = sources.get(p.object) ?? [];
    // A duplicate is reported on its second (third, ...) occurrence: place it there.
    const n = p.code === 'DUPLICATE_OBJECT' ? (duplicatesSeen.get(p.object) ?? 0) + 1 : 0;
    if (p.code === 'DUPLICATE_OBJECT') duplicatesSeen.set(p.object, n);
    const src = candidates[Math.min(n, candidates.length - 1)];
    findings.push(place(p, src, locator, defaultNamespace));
  }
  return findings;
}

function sourcesByLabel(objects: readonly SourcedObject[], defaultNamespace: string): Map<string, SourcedObject[]> {
  const out = new Map<string, SourcedObject[]>();
  objects.forEach((o, index) => {
    const rec = o.value !== null && typeof o.value === 'object' && !Array.isArray(o.value) ? (o.value as Record<string, unknown>) : undefined;
    const label = rec === undefined ? `#${index}` : toManifest(rec, index, defaultNamespace).label;
    out.set(label, [...(out.get(label) ?? []), o]);
  });
  return out;
}

function place(p: ManifestProblem, src: SourcedObject | undefined, locator: FieldLocator, defaultNamespace: string): Finding {
  const at = src === undefined ? { line: 1, column: 1 } : locator.locate(src.doc, src.prefix, p.path);
  const id = identity(src?.value, defaultNamespace);
  return { file: src?.doc.file ?? '', line: at.line, column: at.column, ...p, ...id, fix: fixFor(p) };
}

/** Kind, namespace (as the validator resolves it) and name, for JSON consumers. */
function identity(value: unknown, defaultNamespace: string): { kind?: string; namespace?: string; name?: string } {
  const v = (value ?? {}) as { kind?: unknown; metadata?: { namespace?: unknown; name?: unknown } };
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  return { kind: str(v.kind), namespace: str(v.metadata?.namespace) ?? defaultNamespace, name: str(v.metadata?.name) };
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed: Parsed;
  let input: ReadResult;
  try {
    parsed = parseValidateArgs(argv);
    if (parsed.help) {
      io.out(HELP);
      return 0;
    }
    input = readManifests(parsed.paths);
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError) {
      io.err(`cdk8s-balancer validate: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const findings = findingsOf(input, parsed.options);
  if (parsed.format !== 'json') input.notes.forEach((n) => io.err(n));
  const summary = { files: input.files, objects: input.objects.length, findings, notes: input.notes };
  for (const line of render(parsed.format, summary)) io.out(line);
  return findings.length === 0 ? 0 : 1;
}

export const validateCommand: Command = {
  summary: 'check Kubernetes YAML files or directories (schema, references, Pod Security, hardening)',
  run,
};
