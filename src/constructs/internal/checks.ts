/**
 * How the constructs refuse a prop: a {@link PropsError} naming the construct path, the prop, the bad value and the
 * fix. The checks here are the Kubernetes-level ones; the proxy config's own rules live in src/config and run
 * through `buildBalancerConfig`, so that no rule is checked twice.
 */
import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { port as portSchema } from '../../config/primitives';
import { dns1035LabelProblem, dns1123LabelProblem, ImageProblem, imageProblem, portNameProblem } from '../../internal/k8s-names';
import { PropsError } from '../errors';

/** Renders a value for an error message, short enough to read. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // NaN and Infinity as written, not as JSON's null
  const s = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `\u0000${v}\u0000` : v))?.replace(/"\\u0000(.*?)\\u0000"/g, '$1');
  if (s === undefined) return String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Throws a {@link PropsError} for `scope`: `what` is the prop, `got` the bad value, `fix` what to do instead. */
export function invalid(scope: IConstruct, what: string, got: unknown, fix: string): never {
  throw new PropsError('LB_PROPS_INVALID', scope.node.path, `${what} is invalid (got ${show(got)}); fix: ${fix}`);
}

/**
 * Runs `build`, which hands props to cdk8s or cdk8s-plus, and re-throws what they refuse as a {@link PropsError} with
 * this construct's path and the prop behind it, since their own messages name neither.
 */
export function guarded<T>(scope: IConstruct, what: string, got: unknown, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof PropsError || !(e instanceof Error)) throw e;
    return invalid(scope, what, got, `change it so that cdk8s-plus accepts it, which said: ${e.message}`);
  }
}

/** Checks a TCP port number, by the same rule as the proxy config's ports. */
export function checkPort(scope: IConstruct, what: string, port: number): void {
  if (!portSchema.safeParse(port).success) invalid(scope, what, port, 'use an integer port between 1 and 65535');
}

/** Checks a count that must be an integer >= min. */
export function checkInt(scope: IConstruct, what: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) invalid(scope, what, value, `use an integer >= ${min}`);
}

/** Checks a name we put into object names and DNS: a DNS-1035 label (a Service name starts with a letter). */
export function checkName(scope: IConstruct, what: string, name: string, maxLength: number): void {
  if (dns1035LabelProblem(name, maxLength) !== undefined) {
    invalid(scope, what, name, `use at most ${maxLength} lowercase letters, digits and "-", starting with a letter`);
  }
}

/** Checks a namespace: a DNS-1123 label. */
export function checkNamespace(scope: IConstruct, what: string, name: string): void {
  if (dns1123LabelProblem(name) !== undefined) invalid(scope, what, name, 'use at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit');
}

/** Checks a container port name: an IANA service name, as Kubernetes requires. */
export function checkPortName(scope: IConstruct, what: string, name: string | undefined): asserts name is string {
  if (name === undefined || portNameProblem(name) !== undefined) {
    invalid(scope, what, name, 'name every port: at most 15 lowercase letters, digits and "-", with a letter, no "--", and no "-" at either end');
  }
}

/** Checks "25%" or 7. */
export function checkIntOrPercent(scope: IConstruct, what: string, v: number | string | undefined): void {
  if (v === undefined) return;
  const ok = typeof v === 'number' ? Number.isInteger(v) && v >= 0 : /^(100|[1-9]?\d)%$/.test(v);
  if (!ok) invalid(scope, what, v, 'use an integer >= 0 or a percentage such as "25%"');
}

/** A rolling update with no surge and no unavailability cannot proceed; cdk8s-plus refuses it without our path. */
export function checkRollingUpdate(scope: IConstruct, maxSurge: number | string, maxUnavailable: number | string): void {
  const zero = (v: number | string): boolean => v === 0 || v === '0%';
  if (zero(maxSurge) && zero(maxUnavailable)) {
    invalid(scope, 'maxSurge and maxUnavailable', { maxSurge, maxUnavailable }, 'a rolling update needs room: let maxSurge (e.g. 1) or maxUnavailable be above zero');
  }
}

/**
 * Checks that a Duration is a whole number of `unit` and above zero: cdk8s throws "... must be a whole number of ..."
 * with no construct path when it converts one that is not.
 */
export function checkWholeDuration(scope: IConstruct, what: string, d: Duration | undefined, unit: 'seconds' | 'milliseconds'): void {
  if (d === undefined) return;
  const ms = d.toMilliseconds({ integral: false });
  const whole = unit === 'seconds' ? ms % 1000 === 0 : Number.isInteger(ms);
  if (!(whole && ms > 0)) invalid(scope, what, d.toHumanString(), `use a whole number of ${unit} above zero, e.g. Duration.${unit === 'seconds' ? 'seconds' : 'millis'}(30)`);
}

const IMAGE_FIXES: Readonly<Record<ImageProblem, (image: string) => string>> = {
  'malformed': () => 'give an image reference such as "nginxinc/nginx-unprivileged:1.27-alpine"',
  'malformed-digest': () => 'a digest must be "@sha256:" followed by 64 lowercase hex digits',
  'untagged': (image) => `pin the image to a version tag or digest, e.g. "${image}:1.2.3" or "${image}@sha256:<digest>"`,
  'latest': () => 'replace ":latest" with a version tag or a digest, so every rollout runs the same bits',
};

/** Throws unless `image` is pinned to a tag other than `latest`, or to a digest. */
export function checkPinnedImage(scope: IConstruct, what: string, image: string): void {
  const problem = imageProblem(image);
  if (problem !== undefined) invalid(scope, what, image, IMAGE_FIXES[problem](image.replace(/:$/, '')));
}
