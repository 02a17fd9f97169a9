/**
 * The one step that turns {@link LoadBalancedAppProps} into {@link ResolvedAppProps}: every Kubernetes-level prop
 * checked once, every default taken from the table in defaults.ts. The proxy config's own rules are checked when the
 * config is built (balancer-config.ts), not here.
 */
import { Chart, Names } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { POD_NAMESPACE_REF } from '../../config/discovery';
import { MAX_LABEL_LENGTH } from '../../internal/k8s-names';
import type { ClientServiceOptions } from '../app-service';
import type { DisruptionBudgetOptions, SubsetOptions } from '../app-subset';
import type { MigrationJobOptions, SmokeTestOptions } from '../jobs';
import type { LoadBalancedAppProps } from '../load-balanced-app';
import { ProxyImage } from '../proxy-image';
import type { ProxyOptions } from '../proxy-options';
import type { WorkloadKind } from '../workload-kind';
import type {
  NamedPort, ResolvedAppProps, ResolvedAutoscaling, ResolvedMigration, ResolvedProxy, ResolvedSmokeTest, ResolvedSubset,
} from '../resolved-props';
import {
  checkInt, checkIntOrPercent, checkName, checkRollingUpdate, checkWholeDuration, checkNamespace, checkPinnedImage, checkPort, checkPortName, invalid,
} from './checks';
import { DEFAULTS } from './defaults';
import { resolveAutoscalingRange, resolveGateway } from './resolve-gateway';
import { resolveProtocolProps } from './resolve-protocol';
import { checkNodePort, checkSecretKeys, checkServiceFields } from './service-checks';

/** Longest app name: room for the suffixes of our object names (`-gateway`, `-lb-gateway-<hash>`). */
const MAX_APP_NAME = 40;
/** Longest subset name: room for `<app>-<subset>-headless` in most cases; the full name is checked too. */
const MAX_SUBSET_NAME = 20;
const HEADLESS_SUFFIX = '-headless';

/** Resolves and checks the props of `app`. */
export function resolveLoadBalancedAppProps(app: IConstruct, props: LoadBalancedAppProps): ResolvedAppProps {
  const D = DEFAULTS.LoadBalancedAppProps;
  const name = props.name ?? Names.toDnsLabel(app, { maxLen: MAX_APP_NAME });
  checkName(app, 'name', name, MAX_APP_NAME);
  const namespace = props.namespace ?? Chart.of(app).namespace ?? 'default';
  checkNamespace(app, 'namespace', namespace);
  const ports = resolvePorts(app, props);
  checkPinnedImage(app, 'container.image', props.container.image);
  const workload = props.workload ?? D.workload;
  const autoscaling = resolveAutoscaling(app, props, workload);
  const replicas = resolveReplicas(app, 'replicas', 1, props.replicas, { workload, autoscaled: autoscaling !== undefined });
  checkInt(app, 'revisionHistoryLimit', props.revisionHistoryLimit, 0);
  checkIntOrPercent(app, 'maxSurge', props.maxSurge);
  checkIntOrPercent(app, 'maxUnavailable', props.maxUnavailable);
  checkRollingUpdate(app, props.maxSurge ?? D.maxSurge, props.maxUnavailable ?? D.maxUnavailable);
  const { user, group } = resolveRunAs(app, 'container', props.container);
  return {
    name,
    namespace,
    objectNamespace: props.namespace,
    dnsNamespace: props.namespace ?? Chart.of(app).namespace ?? POD_NAMESPACE_REF,
    clusterDomain: props.clusterDomain ?? D.clusterDomain,
    container: props.container,
    user,
    group,
    ports,
    balancedPort: resolveBalancedPort(app, ports, props.balancedPort),
    workload,
    replicas,
    maxSurge: props.maxSurge ?? D.maxSurge,
    maxUnavailable: props.maxUnavailable ?? D.maxUnavailable,
    revisionHistoryLimit: props.revisionHistoryLimit ?? D.revisionHistoryLimit,
    subsets: resolveSubsets(app, props, name, replicas, workload),
    autoscaling,
    disruptionBudget: resolveDisruptionBudget(props.disruptionBudget ?? {}),
    spread: { zones: props.spread?.zones ?? DEFAULTS.SpreadOptions.zones, whenUnsatisfiable: props.spread?.whenUnsatisfiable ?? DEFAULTS.SpreadOptions.whenUnsatisfiable },
    algorithm: props.algorithm ?? D.algorithm,
    ...resolveTrafficSplit(app, props),
    ...resolveProtocolProps(app, props, props.protocol ?? D.protocol),
    discovery: props.discovery ?? D.discovery,
    outlierDetection: props.outlierDetection,
    retries: props.retries,
    timeouts: props.timeouts,
    slowStart: props.slowStart,
    zoneAware: props.zoneAware,
    gateway: resolveGateway(app, props, name),
    proxy: resolveProxy(app, props.proxy ?? {}),
    service: resolveService(app, props.service ?? {}, ports),
    config: props.config,
    secret: checkSecretKeys(app, props.secret),
    migration: props.migration && resolveMigration(app, props.migration),
    smokeTest: resolveSmokeTest(app, props.smokeTest ?? D.smokeTest),
    allowFrom: props.allowFrom ?? [],
  };
}

function resolvePorts(app: IConstruct, props: LoadBalancedAppProps): NamedPort[] {
  const ports = props.container.ports ?? [];
  if (ports.length === 0) {
    invalid(app, 'container.ports', ports, 'declare at least one named port, e.g. ports: [{ name: "http", number: 8080 }]');
  }
  const out: NamedPort[] = [];
  for (const [i, p] of ports.entries()) {
    checkPort(app, `container.ports[${i}].number`, p.number);
    checkPortName(app, `container.ports[${i}].name`, p.name);
    if (out.some((o) => o.name === p.name)) invalid(app, `container.ports[${i}].name`, p.name, 'give each port a unique name');
    if (out.some((o) => o.number === p.number)) invalid(app, `container.ports[${i}].number`, p.number, 'give each port a unique number');
    out.push({ name: p.name, number: p.number });
  }
  return out;
}

function resolveBalancedPort(app: IConstruct, ports: readonly NamedPort[], name: string | undefined): NamedPort {
  const port = ports.find((p) => p.name === (name ?? ports[0].name));
  if (!port) invalid(app, 'balancedPort', name, `name one of the ports: ${ports.map((p) => p.name).join(', ')}`);
  return port;
}

/** Replicas of the app or of one subset: undefined when autoscaled, and exactly one for a bare Pod. */
function resolveReplicas(
  app: IConstruct,
  what: string,
  min: number,
  replicas: number | undefined,
  context: { readonly workload: WorkloadKind; readonly autoscaled: boolean },
): number | undefined {
  checkInt(app, what, replicas, min);
  if (context.workload.scalable) return context.autoscaled ? replicas : replicas ?? DEFAULTS.LoadBalancedAppProps.replicas;
  if (replicas !== undefined && replicas !== DEFAULTS.BarePod.replicas) {
    invalid(app, what, replicas, 'a bare Pod runs exactly one replica; drop replicas, or use WorkloadKind.deployment() for more');
  }
  return DEFAULTS.BarePod.replicas;
}

/** The user and group a container of ours runs as; root and privilege are refused. */
function resolveRunAs(app: IConstruct, what: string, container: kplus.ContainerProps): { user: number; group: number } {
  const sc = container.securityContext;
  checkInt(app, `${what}.securityContext.user`, sc?.user, 1);
  if (sc?.privileged || sc?.allowPrivilegeEscalation || sc?.ensureNonRoot === false) {
    invalid(app, `${what}.securityContext`, sc, 'the restricted Pod Security profile forbids privileged, allowPrivilegeEscalation and root; remove them');
  }
  const user = sc?.user ?? DEFAULTS.AppContainer.user;
  return { user, group: sc?.group ?? user };
}

function resolveAutoscaling(app: IConstruct, props: LoadBalancedAppProps, workload: WorkloadKind): ResolvedAutoscaling | undefined {
  const hpa = props.autoscaling;
  if (!hpa) return undefined;
  if (props.replicas !== undefined) {
    invalid(app, 'replicas together with autoscaling', props.replicas, 'drop replicas; the autoscaler owns the count between minReplicas and maxReplicas');
  }
  if (!workload.scalable) {
    invalid(app, 'autoscaling of a bare Pod', hpa, 'use WorkloadKind.deployment(), replicaSet() or statefulSet()');
  }
  return resolveAutoscalingRange(app, 'autoscaling', hpa);
}

function resolveSubsets(
  app: IConstruct,
  props: LoadBalancedAppProps,
  appName: string,
  replicas: number | undefined,
  workload: WorkloadKind,
): ResolvedSubset[] {
  const declared = props.subsets !== undefined;
  const subsets: readonly SubsetOptions[] = props.subsets ?? [{ name: 'default' }];
  if (subsets.length === 0) invalid(app, 'subsets', subsets, 'declare at least one subset, or leave subsets out');
  return subsets.map((s, i) => {
    checkName(app, `subsets[${i}].name`, s.name, MAX_SUBSET_NAME);
    if (subsets.findIndex((o) => o.name === s.name) !== i) invalid(app, `subsets[${i}].name`, s.name, 'give each subset a unique name');
    const objectName = declared ? `${appName}-${s.name}` : appName;
    const headlessServiceName = `${objectName}${HEADLESS_SUFFIX}`;
    checkHeadlessName(app, i, s.name, headlessServiceName);
    if (s.image !== undefined) checkPinnedImage(app, `subsets[${i}].image`, s.image);
    // A subset that sets replicas is not autoscaled; one that sets none follows the app.
    const own = resolveReplicas(app, `subsets[${i}].replicas`, 0, s.replicas, { workload, autoscaled: props.autoscaling !== undefined });
    const autoscaled = props.autoscaling !== undefined && s.replicas === undefined;
    return {
      name: s.name,
      objectName,
      headlessServiceName,
      id: declared ? `Workload-${s.name}` : 'Workload',
      image: s.image ?? props.container.image,
      replicas: autoscaled ? undefined : s.replicas === undefined ? replicas : own,
      autoscaled,
      weight: s.weight,
      env: s.env ?? {},
    };
  });
}

/** A Service name is a DNS-1035 label of at most 63 characters, and `<app>-<subset>-headless` can outgrow it. */
function checkHeadlessName(app: IConstruct, index: number, subset: string, headless: string): void {
  if (headless.length > MAX_LABEL_LENGTH) {
    invalid(
      app,
      `subsets[${index}].name`,
      subset,
      `the headless Service name "${headless}" would be ${headless.length} characters, over Kubernetes' ${MAX_LABEL_LENGTH}; shorten the app name or the subset name by ${headless.length - MAX_LABEL_LENGTH} characters`,
    );
  }
}

/** Either bound; the budget itself refuses both. */
function resolveDisruptionBudget(budget: DisruptionBudgetOptions): DisruptionBudgetOptions {
  if (budget.minAvailable !== undefined) return budget;
  return { ...budget, maxUnavailable: budget.maxUnavailable ?? DEFAULTS.DisruptionBudgetOptions.maxUnavailable };
}

function resolveProxy(app: IConstruct, proxy: ProxyOptions): ResolvedProxy {
  const image = proxy.image ?? ProxyImage.node();
  checkPinnedImage(app, 'proxy image', image.image);
  checkInt(app, 'proxy image user', image.user, 1);
  checkInt(app, 'proxy image group', image.group, 0);
  if (!image.bundlePath.startsWith('/')) invalid(app, 'proxy image bundlePath', image.bundlePath, 'give an absolute path such as "/app/proxy.js"');
  return {
    image,
    bundleFile: proxy.bundleFile,
    resources: proxy.resources ?? DEFAULTS.ProxyOptions.resources,
    adminPort: proxy.adminPort ?? DEFAULTS.ProxyOptions.adminPort,
    shutdownDelay: proxy.shutdownDelay,
    drain: proxy.drain,
    accessLog: proxy.accessLog,
  };
}

function resolveService(app: IConstruct, service: ClientServiceOptions, ports: readonly NamedPort[]): ClientServiceOptions {
  const nodePorts = service.nodePorts ?? {};
  for (const [portName, n] of Object.entries(nodePorts)) {
    if (!ports.some((p) => p.name === portName)) invalid(app, `service.nodePorts.${portName}`, n, `name one of the ports: ${ports.map((p) => p.name).join(', ')}`);
    checkNodePort(app, `service.nodePorts.${portName}`, n, service.type, 'service.type');
  }
  checkServiceFields(app, 'service.', service);
  return { ...service, nodePorts };
}

function resolveMigration(app: IConstruct, m: MigrationJobOptions): ResolvedMigration {
  checkPinnedImage(app, 'migration.container.image', m.container.image);
  checkInt(app, 'migration.parallelism', m.parallelism, 1);
  checkInt(app, 'migration.completions', m.completions, 1);
  checkInt(app, 'migration.backoffLimit', m.backoffLimit, 0);
  checkWholeDuration(app, 'migration.activeDeadline', m.activeDeadline, 'seconds');
  const D = DEFAULTS.MigrationJobOptions;
  return {
    container: m.container,
    ...resolveRunAs(app, 'migration.container', m.container),
    parallelism: m.parallelism ?? D.parallelism,
    completions: m.completions ?? D.completions,
    backoffLimit: m.backoffLimit ?? D.backoffLimit,
    activeDeadline: m.activeDeadline ?? D.activeDeadline,
  };
}

function resolveSmokeTest(app: IConstruct, smoke: SmokeTestOptions | boolean): ResolvedSmokeTest | undefined {
  if (smoke === false) return undefined;
  const s = smoke === true ? {} : smoke;
  checkInt(app, 'smokeTest.backoffLimit', s.backoffLimit, 0);
  checkWholeDuration(app, 'smokeTest.timeout', s.timeout, 'milliseconds');
  checkWholeDuration(app, 'smokeTest.activeDeadline', s.activeDeadline, 'seconds');
  const D = DEFAULTS.SmokeTestOptions;
  const timeout = s.timeout ?? D.timeout;
  const activeDeadline = s.activeDeadline ?? D.activeDeadline;
  if (timeout.toMilliseconds() >= activeDeadline.toMilliseconds()) {
    invalid(app, 'smokeTest.timeout', timeout.toHumanString(), `make it shorter than activeDeadline (${activeDeadline.toHumanString()}), or raise activeDeadline`);
  }
  return { timeout, backoffLimit: s.backoffLimit ?? D.backoffLimit, activeDeadline };
}

/** The split across subsets: the app's `trafficSplit`, or the older `Algorithm.weightedRoundRobin({ subsetWeights })`. */
function resolveTrafficSplit(app: IConstruct, props: LoadBalancedAppProps): { trafficSplit?: Record<string, number>; trafficSplitProp: string } {
  const legacy = props.algorithm?.subsetWeights ?? {};
  const fromAlgorithm = Object.keys(legacy).length > 0 ? { ...legacy } : undefined;
  if (props.trafficSplit !== undefined && fromAlgorithm !== undefined) {
    invalid(app, 'trafficSplit', props.trafficSplit, 'set the split once: remove subsetWeights from Algorithm.weightedRoundRobin(), or remove trafficSplit');
  }
  if (props.trafficSplit !== undefined) return { trafficSplit: { ...props.trafficSplit }, trafficSplitProp: 'trafficSplit' };
  return { trafficSplit: fromAlgorithm, trafficSplitProp: fromAlgorithm ? 'algorithm subsetWeights' : 'trafficSplit' };
}
