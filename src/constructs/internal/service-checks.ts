/**
 * The API server's Service rules (pkg/apis/core/validation ValidateService), checked on props so that a value it
 * would refuse, or one our L2 would drop, fails at construction with the prop's name. The manifest validator checks
 * the same rules on output (src/testing/api-rules.ts), with the same limits.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { configMapKeyProblem, MAX_AFFINITY_SECONDS, NODE_PORT_RANGE } from '../../internal/k8s-names';
import type { AppSecret } from '../app-secret';
import { SessionAffinity } from '../enums';
import { invalid } from './checks';

/** The Service fields whose validity depends on one another. */
export interface ServiceFields {
  readonly type?: kplus.ServiceType;
  readonly headless?: boolean;
  readonly sessionAffinity?: SessionAffinity;
  readonly sessionAffinityTimeout?: Duration;
  readonly externalTrafficPolicy?: string;
}

const external = (type: kplus.ServiceType | undefined): boolean => type === kplus.ServiceType.NODE_PORT || type === kplus.ServiceType.LOAD_BALANCER;

/** Checks the type-dependent fields; `prefix` is how the user wrote them, e.g. `service.`. */
export function checkServiceFields(scope: IConstruct, prefix: string, s: ServiceFields): void {
  if (s.headless && s.type !== undefined && s.type !== kplus.ServiceType.CLUSTER_IP) {
    invalid(scope, `${prefix}headless`, true, `a headless Service must be type ClusterIP, not ${s.type}; drop headless or the type`);
  }
  if (s.externalTrafficPolicy !== undefined && !external(s.type)) {
    invalid(scope, `${prefix}externalTrafficPolicy`, s.externalTrafficPolicy, `it applies to ${prefix}type NodePort or LoadBalancer only; set that type, or drop it (the type is ${s.type ?? 'ClusterIP'})`);
  }
  const timeout = s.sessionAffinityTimeout;
  if (timeout === undefined) return;
  if (s.sessionAffinity !== SessionAffinity.CLIENT_IP) {
    invalid(scope, `${prefix}sessionAffinityTimeout`, timeout.toHumanString(), `it applies to sessionAffinity: SessionAffinity.CLIENT_IP only; set that, or drop the timeout`);
  }
  const ms = timeout.toMilliseconds({ integral: false });
  if (!(ms % 1000 === 0 && ms >= 1000 && ms <= MAX_AFFINITY_SECONDS * 1000)) {
    invalid(scope, `${prefix}sessionAffinityTimeout`, timeout.toHumanString(), `use a whole number of seconds from 1 to ${MAX_AFFINITY_SECONDS} (one day), e.g. Duration.hours(3)`);
  }
}

/** Checks a node port: only on NodePort and LoadBalancer Services, and in the default range. */
export function checkNodePort(scope: IConstruct, what: string, nodePort: number | undefined, type: kplus.ServiceType | undefined, typeProp: string): void {
  if (nodePort === undefined) return;
  if (!external(type)) {
    invalid(scope, what, nodePort, `node ports need ${typeProp} NodePort or LoadBalancer; set the type or drop nodePorts (the type is ${type ?? 'ClusterIP'})`);
  }
  if (!Number.isInteger(nodePort) || nodePort < NODE_PORT_RANGE.min || nodePort > NODE_PORT_RANGE.max) {
    invalid(scope, what, nodePort, `use a port in the API server's default node port range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}, or leave it out and let Kubernetes allocate one`);
  }
}

/** Checks the keys of an inline {@link AppSecret}; returns it. */
export function checkSecretKeys(scope: IConstruct, secret: AppSecret | undefined): AppSecret | undefined {
  if (secret?.values !== undefined) checkDataKeys(scope, 'secret key', Object.keys(secret.values));
  return secret;
}

/** Checks the keys of a Secret's (or ConfigMap's) data. */
export function checkDataKeys(scope: IConstruct, what: string, keys: readonly string[]): void {
  for (const key of keys) {
    if (configMapKeyProblem(key) !== undefined) {
      const example = key.replace(/[^-._a-zA-Z0-9]+/g, '_').slice(0, 253) || 'key';
      invalid(scope, what, key, `use letters, digits, "-", "_" and "." (at most 253), e.g. ${JSON.stringify(example)}`);
    }
  }
}
