// Secret hygiene: a Secret's value must not also sit in plain sight elsewhere in the set: in a ConfigMap,
// an annotation, an env literal, args or a command. Every string leaf of every non-Secret object is searched,
// so new places (labels, probes, init containers) are covered without listing them.
import { asRec, keyPath, Manifest, Report } from './manifest';

/** Values shorter than this are too likely to collide with ordinary words ("true", "80"). */
const MIN_SECRET_LENGTH = 4;

interface SecretValue {
  readonly owner: Manifest;
  readonly key: string;
  readonly value: string;
}

export function checkSecretHygiene(manifests: readonly Manifest[], report: Report): void {
  const secrets = manifests.filter((m) => m.kind === 'Secret').flatMap(secretValues);
  if (secrets.length === 0) return;
  for (const m of manifests) {
    if (m.kind === 'Secret') continue;
    forEachString(m.raw, '', (path, text) => {
      for (const s of secrets) {
        if (text.includes(s.value)) {
          report(m, 'SECRET_VALUE_EXPOSED', path, `contains the value of ${s.owner.label} key ${JSON.stringify(s.key)}; reference the Secret (secretKeyRef, a secret volume) instead`, mask(s.value));
        }
      }
    });
  }
}

function secretValues(m: Manifest): SecretValue[] {
  const out: SecretValue[] = [];
  const add = (key: string, value: string): void => {
    if (value.length >= MIN_SECRET_LENGTH) out.push({ owner: m, key, value });
  };
  for (const [key, v] of Object.entries(asRec(m.raw.data) ?? {})) {
    if (typeof v !== 'string') continue;
    add(key, Buffer.from(v, 'base64').toString('utf8'));
    add(key, v); // the encoded form pasted elsewhere is just as readable
  }
  for (const [key, v] of Object.entries(asRec(m.raw.stringData) ?? {})) {
    if (typeof v === 'string') add(key, v);
  }
  return out;
}

function forEachString(v: unknown, path: string, visit: (path: string, text: string) => void): void {
  if (typeof v === 'string') {
    visit(path, v);
  } else if (Array.isArray(v)) {
    v.forEach((item, i) => forEachString(item, `${path}[${i}]`, visit));
  } else if (v !== null && typeof v === 'object') {
    for (const [k, child] of Object.entries(v)) {
      // ConfigMap binaryData is base64: search its decoded text as well.
      if (path === 'binaryData' && typeof child === 'string') visit(keyPath(path, k), Buffer.from(child, 'base64').toString('utf8'));
      forEachString(child, keyPath(path, k), visit);
    }
  }
}

/** Never echo a secret into a test log. */
function mask(value: string): string {
  return `<redacted, ${value.length} chars>`;
}
