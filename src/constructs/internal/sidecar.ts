/**
 * Sidecar placement: the proxy injected into a consumer workload, which calls the app at http://127.0.0.1:<port> (or
 * 127.0.0.1:<port> for gRPC and TCP).
 */
import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { ConsumerOptions } from '../consumer-options';
import type { LoadBalancedApp } from '../load-balanced-app';
import { buildBalancerConfig, serializeConfig } from './balancer-config';
import { guarded, invalid } from './checks';
import { DEFAULTS } from './defaults';
import { HashedConfigMap } from './hashed-config-map';
import { accessLabel, consumerChecksumAnnotation } from './labels';
import { addProxyContainer, backendCaMounts, CONFIG_KEY, ProxyMount, proxyChecksum, proxyGracePeriodSeconds } from './proxy-container';
import { addScrapeAnnotations } from './observability';
import { hardenConsumerPod } from './harden';
import { ProxyBundle } from './proxy-bundle';
import { addRuntimeDefaultSeccomp, podSpecPointer, useDiscoveryAccount } from './security';
import { podMetadata } from './workloads';

/** Kubernetes' termination grace period when a pod sets none. */
const KUBERNETES_GRACE_SECONDS = 30;
/** The grace period we have set on a consumer, so that a second app's sidecar only ever raises it. */
const graceSet = new WeakMap<kplus.AbstractPod, number>();

function envVarName(appName: string): string {
  return `${appName.toUpperCase().replace(/-/g, '_')}_URL`;
}

function checkPlacement(app: LoadBalancedApp, consumer: kplus.AbstractPod, name: string): void {
  const namespace = ApiObject.of(consumer).metadata.namespace ?? Chart.of(consumer).namespace ?? 'default';
  if (namespace !== app.namespace) {
    invalid(consumer, 'consumer namespace', namespace, `put the consumer in the app's namespace "${app.namespace}": it mounts the app's ConfigMaps`);
  }
  if (consumer.containers.some((c) => c.name === name)) {
    invalid(consumer, 'consumer', name, `${app.node.path} is already injected into this workload; call addConsumer once per workload`);
  }
}

function checkFreePorts(app: LoadBalancedApp, consumer: kplus.AbstractPod, port: number, adminPort: number): void {
  for (const c of consumer.containers) {
    for (const p of c.ports) {
      if (p.number === port || p.number === adminPort) {
        invalid(consumer, `container ${c.name} port`, p.number, `it collides with the ${app.name} sidecar's ports (${port}, ${adminPort}); pass addConsumer(w, { port, adminPort }) with free ports`);
      }
    }
  }
}

/** The sidecar's volumes are named after the app; a consumer volume of the same name would only fail at synth. */
function checkFreeVolumes(consumer: kplus.AbstractPod, name: string, mounts: readonly ProxyMount[]): void {
  const ours = ['config', 'bundle', 'tmp', ...mounts.map((m) => m.name)].map((v) => `${name}-${v}`);
  const theirs = [...consumer.volumes, ...consumer.containers.flatMap((c) => c.mounts.map((m) => m.volume))].map((v) => v.name);
  for (const v of theirs.filter((n) => ours.includes(n))) {
    invalid(consumer, 'consumer volume', v, `rename it: the ${name} sidecar adds the volumes ${ours.join(', ')}`);
  }
}

/** Raises the consumer's termination grace period to what the sidecar needs; the user's longer one stays. */
function raiseGracePeriod(consumer: kplus.AbstractPod, seconds: number): void {
  const current = graceSet.get(consumer) ?? consumer.terminationGracePeriod?.toSeconds() ?? KUBERNETES_GRACE_SECONDS;
  if (seconds <= current) return;
  graceSet.set(consumer, seconds);
  const obj = ApiObject.of(consumer);
  obj.addJsonPatch(JsonPatch.add(`${podSpecPointer(obj.kind)}/terminationGracePeriodSeconds`, seconds));
}

/** Injects the sidecar; returns the URL the consumer calls. */
export function injectSidecar(app: LoadBalancedApp, consumer: kplus.AbstractPod, options: ConsumerOptions): string {
  const props = app.props;
  const port = options.port ?? DEFAULTS.ConsumerOptions.port;
  const adminPort = options.adminPort ?? DEFAULTS.ConsumerOptions.adminPort;
  const name = `lb-${app.name}`;
  checkPlacement(app, consumer, name);
  const config = buildBalancerConfig(consumer, props, app.subsets.map((s) => s.discovery.source), {
    listener: props.protocol.listener('127.0.0.1', port),
    adminPort,
    portProp: 'addConsumer port',
    adminPortProp: 'addConsumer adminPort',
  });
  checkFreePorts(app, consumer, port, adminPort);
  const mounts = backendCaMounts(props.backendTls);
  checkFreeVolumes(consumer, name, mounts);
  const id = `SidecarConfig-${port}-${adminPort}`;
  const configMap =
    (app.node.tryFindChild(id) as HashedConfigMap | undefined) ??
    new HashedConfigMap(app, id, `${props.name}-lb-sidecar`, props.objectNamespace, { [CONFIG_KEY]: serializeConfig(config) });
  const bundle = ProxyBundle.forApp(app, props);
  const { image, resources } = props.proxy;
  guarded(consumer, 'consumer', name, () =>
    addProxyContainer(consumer, { name, volumePrefix: name, config: configMap.configMap, bundle, image, resources, adminPort, adminPortName: `lb-admin-${adminPort}`, listenerPort: port, mounts }),
  );
  const meta = podMetadata(consumer);
  meta.addLabel(accessLabel(app.name), 'true');
  meta.addAnnotation(consumerChecksumAnnotation(app.name), proxyChecksum(configMap, bundle));
  addScrapeAnnotations(meta, adminPort);
  addRuntimeDefaultSeccomp(consumer);
  if (options.hardenPod ?? DEFAULTS.ConsumerOptions.hardenPod) hardenConsumerPod(consumer, name);
  useDiscoveryAccount(consumer, app.subsets.map((sub) => sub.discovery));
  raiseGracePeriod(consumer, proxyGracePeriodSeconds(config));
  // The bundle may be created only now, after the consumer: order it first in the output, as a mount it needs.
  if (Chart.of(bundle) === Chart.of(consumer)) consumer.node.addDependency(bundle);
  const url = props.protocol.sidecarAddress(port);
  const envVar = options.envVar === undefined ? envVarName(app.name) : options.envVar;
  if (envVar !== false) {
    for (const c of consumer.containers) {
      if (c.name !== name && !c.name.startsWith('lb-')) c.env.addVariable(envVar, kplus.EnvValue.fromValue(url));
    }
  }
  return url;
}
