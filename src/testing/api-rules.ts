// Rules the API server checks in code rather than in the OpenAPI schema, mirrored from k8s.io/kubernetes
// pkg/apis/core/validation (ValidateService, validateContainerPorts) and the controllers' own limits: a Service's
// ports and type-dependent fields, session affinity, container ports, name lengths that depend on the kind, and
// workload selectors (immutable) on labels that change with each release.
import {
  dns1035LabelProblem, dns1123LabelProblem, dns1123SubdomainProblem, ingressHostProblem, ingressPathProblem, MAX_AFFINITY_SECONDS,
  NODE_PORT_RANGE, portNameProblem, qualifiedNameProblem,
} from '../internal/k8s-names';
import { asArr, asRec, asStr, asStrMap, containersOf, dig, keyPath, Manifest, podTemplateOf, Report } from './manifest';

/** Runs every rule that applies to `m`. */
export function checkApiServerRules(m: Manifest, report: Report): void {
  if (m.kind === 'Service') checkService(m, report);
  if (m.kind === 'Deployment') checkRollingUpdate(m, report);
  if (m.kind === 'PodDisruptionBudget') checkPdb(m, report);
  if (m.kind === 'HorizontalPodAutoscaler') checkHpa(m, report);
  if (m.kind === 'Ingress') checkIngress(m, report);
  if (m.kind === 'Secret') checkSecret(m, report);
  checkNameLength(m, report);
  checkVolatileSelector(m, report);
  const t = podTemplateOf(m);
  if (t === undefined) return;
  for (const { path, c } of containersOf(t)) checkContainerPorts(m, path, c, report);
}

// A value of the wrong type is the schema's to report, once.
const validPortNumber = (n: unknown): boolean => typeof n !== 'number' || (Number.isInteger(n) && n >= 1 && n <= 65535);

function checkService(m: Manifest, report: Report): void {
  const spec = asRec(m.raw.spec) ?? {};
  const type = asStr(spec.type) ?? 'ClusterIP';
  const external = type === 'NodePort' || type === 'LoadBalancer' || (type === 'ClusterIP' && asArr(spec.externalIPs).length > 0);
  const ports = asArr(spec.ports);
  const names = new Set<string>();
  const numbers = new Set<string>();
  ports.forEach((raw, i) => {
    const p = asRec(raw) ?? {};
    const at = `spec.ports[${i}]`;
    const name = asStr(p.name) ?? '';
    if (name === '' && ports.length > 1) {
      report(m, 'SERVICE_PORT_INVALID', `${at}.name`, 'is required when a Service has more than one port; name every port');
    } else if (name !== '' && dns1123LabelProblem(name) !== undefined) {
      report(m, 'SERVICE_PORT_INVALID', `${at}.name`, 'must be a DNS-1123 label: lowercase letters, digits and "-", at most 63', name);
    } else if (name !== '' && names.has(name)) {
      report(m, 'SERVICE_PORT_INVALID', `${at}.name`, 'duplicate port name; give each port of the Service its own name', name);
    }
    names.add(name);
    if (!validPortNumber(p.port)) report(m, 'SERVICE_PORT_INVALID', `${at}.port`, 'must be between 1 and 65535', p.port);
    const key = `${String(p.port)}/${asStr(p.protocol) ?? 'TCP'}`;
    if (numbers.has(key)) report(m, 'SERVICE_PORT_INVALID', at, `duplicate port ${key}; each port and protocol may appear once`, p.port);
    numbers.add(key);
    if (typeof p.targetPort === 'string' && portNameProblem(p.targetPort) !== undefined) {
      report(m, 'SERVICE_PORT_INVALID', `${at}.targetPort`, 'a named targetPort must be an IANA service name: at most 15 lowercase letters, digits and "-", with a letter, no "--"', p.targetPort);
    }
    checkNodePort(m, type, p.nodePort, `${at}.nodePort`, report);
    const appProtocol = asStr(p.appProtocol);
    const appProblem = appProtocol === undefined ? undefined : qualifiedNameProblem(appProtocol);
    if (appProblem !== undefined) {
      report(m, 'SERVICE_PORT_INVALID', `${at}.appProtocol`, `${appProblem}, e.g. "kubernetes.io/h2c" or "https"`, appProtocol);
    }
  });
  const clusterIP = asStr(spec.clusterIP);
  if (clusterIP === 'None' && (type === 'NodePort' || type === 'LoadBalancer')) {
    report(m, 'SERVICE_FIELD_FORBIDDEN', 'spec.clusterIP', `may not be "None" for a ${type} Service; a headless Service is type ClusterIP`, clusterIP);
  }
  if (!external && spec.externalTrafficPolicy !== undefined) {
    report(m, 'SERVICE_FIELD_FORBIDDEN', 'spec.externalTrafficPolicy', `may only be set for externally-accessible services (NodePort, LoadBalancer), not type "${type}"; remove it`, spec.externalTrafficPolicy);
  }
  checkSessionAffinity(m, spec, report);
}

function checkNodePort(m: Manifest, type: string, nodePort: unknown, path: string, report: Report): void {
  if (nodePort === undefined || nodePort === 0) return;
  if (type !== 'NodePort' && type !== 'LoadBalancer') {
    report(m, 'SERVICE_FIELD_FORBIDDEN', path, `may not be used when type is "${type}"; use type NodePort or LoadBalancer, or remove the nodePort`, nodePort);
  } else if (typeof nodePort !== 'number' || nodePort < NODE_PORT_RANGE.min || nodePort > NODE_PORT_RANGE.max) {
    report(m, 'SERVICE_NODE_PORT_RANGE', path, `is outside the default --service-node-port-range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}; pick a port in it, or leave it out and let Kubernetes allocate one`, nodePort);
  }
}

function checkSessionAffinity(m: Manifest, spec: Readonly<Record<string, unknown>>, report: Report): void {
  const affinity = asStr(spec.sessionAffinity) ?? 'None';
  if (affinity !== 'ClientIP') {
    if (spec.sessionAffinityConfig !== undefined) {
      report(m, 'SESSION_AFFINITY_INVALID', 'spec.sessionAffinityConfig', `must not be set when sessionAffinity is ${affinity}; set sessionAffinity: ClientIP or remove it`);
    }
    return;
  }
  const timeout = dig(spec, 'sessionAffinityConfig', 'clientIP', 'timeoutSeconds');
  if (timeout !== undefined && !(typeof timeout === 'number' && Number.isInteger(timeout) && timeout >= 1 && timeout <= MAX_AFFINITY_SECONDS)) {
    report(m, 'SESSION_AFFINITY_INVALID', 'spec.sessionAffinityConfig.clientIP.timeoutSeconds', `must be in 1..${MAX_AFFINITY_SECONDS} (one day)`, timeout);
  }
}

function checkContainerPorts(m: Manifest, path: string, c: Readonly<Record<string, unknown>>, report: Report): void {
  const names = new Set<string>();
  asArr(c.ports).forEach((raw, i) => {
    const p = asRec(raw) ?? {};
    const name = asStr(p.name);
    if (name !== undefined && names.has(name)) {
      report(m, 'CONTAINER_PORT_INVALID', `${path}.ports[${i}].name`, 'duplicate port name in this container; give each port its own name', name);
    }
    if (name !== undefined) names.add(name);
    if (!validPortNumber(p.containerPort)) report(m, 'CONTAINER_PORT_INVALID', `${path}.ports[${i}].containerPort`, 'must be between 1 and 65535', p.containerPort);
    if (p.hostPort !== undefined && p.hostPort !== 0 && !validPortNumber(p.hostPort)) {
      report(m, 'CONTAINER_PORT_INVALID', `${path}.ports[${i}].hostPort`, 'must be between 1 and 65535', p.hostPort);
    }
  });
}

/**
 * Longest names by kind where the limit is not the subdomain's 253: a Job's pods carry its name as the `job-name`
 * label value (63); a StatefulSet's pods carry `controller-revision-hash: <name>-<10 chars>` (63, so 52); and the API
 * server limits a CronJob to 52, for the 11 characters its Jobs append.
 */
const NAME_LIMITS: Readonly<Record<string, { readonly max: number; readonly why: string }>> = {
  Job: { max: 63, why: 'its pods carry the name as the job-name label value, at most 63' },
  StatefulSet: { max: 52, why: 'its pods carry controller-revision-hash: <name>-<hash>, a label value of at most 63, so the name may have at most 52' },
  CronJob: { max: 52, why: 'the API server allows at most 52, leaving room for the suffix of its Jobs' },
};

function checkNameLength(m: Manifest, report: Report): void {
  const limit = NAME_LIMITS[m.kind];
  if (limit !== undefined && m.name.length > limit.max) {
    report(m, 'NAME_INVALID', 'metadata.name', `is ${m.name.length} characters, too long for a ${m.kind}: ${limit.why}; shorten it`, m.name);
  }
}

/** Workloads whose `spec.selector` cannot change after creation. */
const IMMUTABLE_SELECTOR = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job']);
const VOLATILE_KEYS = new Set(['app.kubernetes.io/version', 'helm.sh/chart', 'pod-template-hash', 'controller-revision-hash']);
const VOLATILE_NAME = /(^|[./_-])(version|revision|hash|checksum|digest|sha|chart)$/i;

/** A selector on a label whose value changes with each release breaks the next apply: the selector is immutable. */
function checkVolatileSelector(m: Manifest, report: Report): void {
  if (!IMMUTABLE_SELECTOR.has(m.kind)) return;
  const selector = asRec(dig(m.raw, 'spec', 'selector'));
  const volatile = (key: string): boolean => VOLATILE_KEYS.has(key) || VOLATILE_NAME.test(key);
  const fix = 'spec.selector is immutable, so the next release that changes this value fails to apply; select on stable labels (app, component) and keep this one on the pod template only';
  for (const [key, value] of Object.entries(asStrMap(selector?.matchLabels))) {
    if (volatile(key)) report(m, 'SELECTOR_VOLATILE_LABEL', keyPath('spec.selector.matchLabels', key), fix, value);
  }
  asArr(selector?.matchExpressions).forEach((raw, i) => {
    const key = asStr(asRec(raw)?.key);
    if (key !== undefined && volatile(key)) report(m, 'SELECTOR_VOLATILE_LABEL', `spec.selector.matchExpressions[${i}].key`, fix, key);
  });
}

const isZero = (v: unknown): boolean => v === 0 || v === '0%';

/** apps/validation ValidateRollingUpdateDeployment; both default to 25% when unset. */
function checkRollingUpdate(m: Manifest, report: Report): void {
  const ru = asRec(dig(m.raw, 'spec', 'strategy', 'rollingUpdate'));
  if (ru === undefined || !isZero(ru.maxSurge) || !isZero(ru.maxUnavailable)) return;
  report(m, 'WORKLOAD_INVALID', 'spec.strategy.rollingUpdate.maxUnavailable', 'may not be 0 when maxSurge is 0: the rollout could never start; let one of them be above zero', ru.maxUnavailable);
}

/** policy/validation ValidatePodDisruptionBudgetSpec. */
function checkPdb(m: Manifest, report: Report): void {
  const spec = asRec(m.raw.spec) ?? {};
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    report(m, 'PDB_INVALID', 'spec', 'minAvailable and maxUnavailable cannot be both set; keep one');
  }
}

/** autoscaling/validation validateHorizontalPodAutoscalerSpec (minReplicas 0 needs the HPAScaleToZero alpha gate). */
function checkHpa(m: Manifest, report: Report): void {
  const spec = asRec(m.raw.spec) ?? {};
  const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
  if (typeof spec.minReplicas === 'number' && spec.minReplicas < 1) {
    report(m, 'HPA_INVALID', 'spec.minReplicas', 'must be greater than or equal to 1 (0 needs the HPAScaleToZero alpha feature gate)', spec.minReplicas);
  }
  if (typeof spec.maxReplicas === 'number' && spec.maxReplicas < min) {
    report(m, 'HPA_INVALID', 'spec.maxReplicas', `must be greater than or equal to minReplicas (${min})`, spec.maxReplicas);
  }
}

/** networking/validation ValidateIngress: hosts, paths of pathType Prefix and Exact, backends, TLS hosts. */
function checkIngress(m: Manifest, report: Report): void {
  const spec = asRec(m.raw.spec) ?? {};
  const className = asStr(spec.ingressClassName);
  if (className !== undefined && dns1123SubdomainProblem(className) !== undefined) {
    report(m, 'INGRESS_INVALID', 'spec.ingressClassName', `${dns1123SubdomainProblem(className)}; name an IngressClass`, className);
  }
  checkIngressBackend(m, asRec(spec.defaultBackend), 'spec.defaultBackend', report);
  asArr(spec.rules).forEach((raw, i) => {
    const rule = asRec(raw) ?? {};
    const host = asStr(rule.host);
    const hostProblem = host === undefined ? undefined : ingressHostProblem(host);
    if (hostProblem !== undefined) report(m, 'INGRESS_INVALID', `spec.rules[${i}].host`, hostProblem, host);
    asArr(dig(rule, 'http', 'paths')).forEach((rawPath, j) => {
      const p = asRec(rawPath) ?? {};
      const at = `spec.rules[${i}].http.paths[${j}]`;
      const pathType = asStr(p.pathType);
      const path = asStr(p.path);
      if (pathType === undefined) report(m, 'INGRESS_INVALID', `${at}.pathType`, 'is required: Prefix, Exact or ImplementationSpecific');
      const pathProblem = path === undefined ? 'is required for pathType Prefix and Exact' : ingressPathProblem(path);
      if ((pathType === 'Prefix' || pathType === 'Exact') && pathProblem !== undefined) report(m, 'INGRESS_INVALID', `${at}.path`, pathProblem, path);
      checkIngressBackend(m, asRec(p.backend), `${at}.backend`, report);
    });
  });
  asArr(spec.tls).forEach((raw, i) => {
    asArr(asRec(raw)?.hosts).forEach((h, j) => {
      const problem = typeof h === 'string' ? ingressHostProblem(h) : undefined;
      if (problem !== undefined) report(m, 'INGRESS_INVALID', `spec.tls[${i}].hosts[${j}]`, problem, h);
    });
  });
}

function checkIngressBackend(m: Manifest, backend: Readonly<Record<string, unknown>> | undefined, at: string, report: Report): void {
  const service = asRec(backend?.service);
  if (service === undefined) return;
  const name = asStr(service.name) ?? '';
  if (dns1035LabelProblem(name) !== undefined) report(m, 'INGRESS_INVALID', `${at}.service.name`, `${dns1035LabelProblem(name)}; name the Service`, name);
  const port = asRec(service.port) ?? {};
  if ((port.name === undefined) === (port.number === undefined)) {
    report(m, 'INGRESS_INVALID', `${at}.service.port`, 'give exactly one of name and number', service.port);
  }
}

/** core/validation ValidateSecret: a typed Secret must carry its type's keys. */
function checkSecret(m: Manifest, report: Report): void {
  if (m.raw.type !== 'kubernetes.io/tls') return;
  const keys = new Set([...Object.keys(asRec(m.raw.data) ?? {}), ...Object.keys(asRec(m.raw.stringData) ?? {})]);
  for (const key of ['tls.crt', 'tls.key']) {
    if (!keys.has(key)) report(m, 'SECRET_INVALID', `data.${key}`, `a Secret of type kubernetes.io/tls must have ${key} (the PEM certificate chain and its key); add it`);
  }
}
