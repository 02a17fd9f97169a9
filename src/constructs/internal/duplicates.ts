/**
 * Names that must be unique where they land. Two apps of one name in one namespace would write the same objects twice
 * (the second apply silently replaces the first); so would two charts that both create an object of one kind and name
 * in a namespace they share.
 *
 * Two checks: app names at construction, when the second app is created (the common mistake, caught with both paths);
 * and, when the cdk8s app synthesizes, every object of every chart, by API group, kind, namespace and name.
 */
import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { PropsError } from '../errors';

/** Per construct tree: app key → path of the app that took it. */
const appNames = new WeakMap<IConstruct, Map<string, string>>();
/** Construct trees whose synth-time check is in place. */
const checked = new WeakSet<IConstruct>();

/**
 * Claims `name` in `namespace` for the app at `scope`; a second app of that name in that namespace throws, naming both.
 * @param namespace where the app's objects land: the app's namespace prop, else its chart's; undefined when neither
 *   sets one (then they land in the namespace `kubectl apply -n` gives, which is the same for every such chart)
 */
export function claimAppName(scope: IConstruct, name: string, namespace: string | undefined): void {
  const root = scope.node.root;
  const names = appNames.get(root) ?? new Map<string, string>();
  appNames.set(root, names);
  const key = `${namespace ?? ''}\u0000${name}`;
  const first = names.get(key);
  if (first !== undefined) {
    const where = namespace === undefined ? 'the namespace given at apply time' : `namespace "${namespace}"`;
    throw new PropsError(
      'LB_PROPS_INVALID',
      scope.node.path,
      `name is invalid (got "${name}"): the app at ${first} has that name in ${where}, and both would write the same objects; fix: give one of them another name, or another namespace`,
    );
  }
  names.set(key, scope.node.path);
  if (!checked.has(root)) {
    checked.add(root);
    Chart.of(scope).node.addValidation({ validate: () => duplicateObjects(root) });
  }
}

/** Every object written twice in the cdk8s app: one message per clash, naming both construct paths. */
export function duplicateObjects(root: IConstruct): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const c of root.node.findAll()) {
    if (!(c instanceof ApiObject)) continue;
    const namespace = c.metadata.namespace ?? Chart.of(c).namespace;
    const group = c.apiVersion.includes('/') ? c.apiVersion.slice(0, c.apiVersion.indexOf('/')) : 'core';
    const key = `${group}\u0000${c.kind}\u0000${namespace ?? ''}\u0000${c.metadata.name}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, c.node.path);
      continue;
    }
    const where = namespace === undefined ? 'the namespace given at apply time' : `namespace "${namespace}"`;
    out.push(
      `LB_PROPS_INVALID: ${c.node.path}: ${c.kind} "${c.metadata.name}" in ${where} is also written by ${first}; fix: rename one of them (apps: the name prop), or put the charts in different namespaces`,
    );
  }
  return out;
}
