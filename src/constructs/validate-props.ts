/**
 * Checks of {@link LoadBalancedAppProps} that need no construct built yet. Each throws `LB_PROPS_INVALID` with the
 * construct path, the bad value and the fix.
 */
import { IConstruct } from 'constructs';
import { checkInt, checkPort, invalid } from './errors';
import { checkPinnedImage } from './images';
import type { LoadBalancedAppProps } from './options';

/** A named container port of the app. */
export interface NamedPort {
  readonly name: string;
  readonly number: number;
}

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks a name used in object names and DNS. */
export function checkDnsLabel(scope: IConstruct, what: string, name: string, maxLength: number): void {
  if (!DNS_LABEL.test(name) || name.length > maxLength) {
    invalid(scope, what, name, `use at most ${maxLength} lowercase letters, digits and "-", starting with a letter`);
  }
}

/** Checks the app container's ports and returns them; `reserved` are the proxy's ports. */
export function checkAppPorts(scope: IConstruct, props: LoadBalancedAppProps, reserved: Record<string, number>): NamedPort[] {
  const ports = props.container.ports ?? [];
  if (ports.length === 0) {
    invalid(scope, 'container.ports', ports, 'declare at least one named port, e.g. ports: [{ name: "http", number: 8080 }]');
  }
  const names = new Set<string>();
  const numbers = new Set<number>();
  const out: NamedPort[] = [];
  for (const [i, p] of ports.entries()) {
    checkPort(scope, `container.ports[${i}].number`, p.number);
    if (p.name === undefined || !PORT_NAME.test(p.name) || p.name.length > 15) {
      invalid(scope, `container.ports[${i}].name`, p.name, 'name every port: at most 15 lowercase letters, digits and "-"');
    }
    if (names.has(p.name)) invalid(scope, `container.ports[${i}].name`, p.name, 'give each port a unique name');
    if (numbers.has(p.number)) invalid(scope, `container.ports[${i}].number`, p.number, 'give each port a unique number');
    for (const [what, n] of Object.entries(reserved)) {
      if (p.number === n) {
        invalid(scope, `container.ports[${i}].number`, p.number, `it collides with the proxy's ${what} port ${n}; move the app or set the proxy's port`);
      }
    }
    names.add(p.name);
    numbers.add(p.number);
    out.push({ name: p.name, number: p.number });
  }
  return out;
}

/** Checks replica counts, autoscaling and images. */
export function checkScaling(scope: IConstruct, props: LoadBalancedAppProps): void {
  checkPinnedImage(scope, 'container.image', props.container.image);
  checkInt(scope, 'replicas', props.replicas, 1);
  checkInt(scope, 'revisionHistoryLimit', props.revisionHistoryLimit, 0);
  const user = props.container.securityContext?.user;
  if (user !== undefined) checkInt(scope, 'container.securityContext.user', user, 1);
  const sc = props.container.securityContext;
  if (sc?.privileged || sc?.allowPrivilegeEscalation || sc?.ensureNonRoot === false) {
    invalid(scope, 'container.securityContext', sc, 'the restricted Pod Security profile forbids privileged, allowPrivilegeEscalation and root; remove them');
  }
  const hpa = props.autoscaling;
  if (!hpa) return;
  if (props.replicas !== undefined) {
    invalid(scope, 'replicas together with autoscaling', props.replicas, 'drop replicas; the autoscaler owns the count between minReplicas and maxReplicas');
  }
  if ((props.workload?.scalable ?? true) === false) {
    invalid(scope, 'autoscaling of a bare Pod', hpa, 'use WorkloadKind.deployment(), replicaSet() or statefulSet()');
  }
  checkInt(scope, 'autoscaling.minReplicas', hpa.minReplicas, 1);
  checkInt(scope, 'autoscaling.maxReplicas', hpa.maxReplicas, 1);
  if ((hpa.minReplicas ?? 2) > hpa.maxReplicas) {
    invalid(scope, 'autoscaling.minReplicas', hpa.minReplicas ?? 2, `make it <= maxReplicas (${hpa.maxReplicas}), or raise maxReplicas`);
  }
  if (hpa.cpuUtilization !== undefined && !(hpa.cpuUtilization > 0 && hpa.cpuUtilization <= 100)) {
    invalid(scope, 'autoscaling.cpuUtilization', hpa.cpuUtilization, 'use a percentage in (0, 100]');
  }
}

/** Checks the subsets; returns them, or the single `default` subset. */
export function checkSubsets(scope: IConstruct, props: LoadBalancedAppProps): NonNullable<LoadBalancedAppProps['subsets']> {
  const subsets = props.subsets ?? [{ name: 'default' }];
  if (subsets.length === 0) invalid(scope, 'subsets', subsets, 'declare at least one subset, or leave subsets out');
  const seen = new Set<string>();
  for (const [i, s] of subsets.entries()) {
    checkDnsLabel(scope, `subsets[${i}].name`, s.name, 20);
    if (seen.has(s.name)) invalid(scope, `subsets[${i}].name`, s.name, 'give each subset a unique name');
    seen.add(s.name);
    if (s.weight !== undefined && !(s.weight > 0 && Number.isFinite(s.weight))) {
      invalid(scope, `subsets[${i}].weight`, s.weight, 'use a weight > 0; remove the subset to send it no traffic');
    }
    checkInt(scope, `subsets[${i}].replicas`, s.replicas, 0);
    if (s.image !== undefined) checkPinnedImage(scope, `subsets[${i}].image`, s.image);
  }
  return subsets;
}
