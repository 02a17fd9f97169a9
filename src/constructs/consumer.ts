/**
 * Sidecar placement: the proxy injected into a consumer workload, which calls the app at http://127.0.0.1:<port>.
 */
import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { podMetadata } from './app-workloads';
import { buildBalancerConfig, serializeConfig } from './balancer-config';
import { checkPort, invalid } from './errors';
import { HashedConfigMap } from './hashed-config-map';
import { accessLabel, consumerChecksumAnnotation } from './labels';
import type { LoadBalancedApp } from './load-balanced-app';
import { ConsumerOptions } from './options';
import { addProxyContainer, CONFIG_KEY, DEFAULT_ADMIN_PORT, DEFAULT_SIDECAR_PORT } from './proxy';
import { sha256 } from './proxy-bundle';
import { addRuntimeDefaultSeccomp } from './security';

function envVarName(appName: string): string {
  return `${appName.toUpperCase().replace(/-/g, '_')}_URL`;
}

/** Injects the sidecar; returns the URL the consumer calls. */
export function injectSidecar(app: LoadBalancedApp, consumer: kplus.AbstractPod, options: ConsumerOptions): string {
  const port = options.port ?? DEFAULT_SIDECAR_PORT;
  const adminPort = options.adminPort ?? DEFAULT_ADMIN_PORT;
  checkPort(consumer, 'sidecar port', port);
  checkPort(consumer, 'sidecar adminPort', adminPort);
  if (port === adminPort) invalid(consumer, 'sidecar port', port, `choose a port other than the sidecar's admin port ${adminPort}`);
  const namespace = ApiObject.of(consumer).metadata.namespace ?? Chart.of(consumer).namespace ?? 'default';
  if (namespace !== app.namespace) {
    invalid(consumer, 'consumer namespace', namespace, `put the consumer in the app's namespace "${app.namespace}": it mounts the app's ConfigMaps`);
  }
  const name = `lb-${app.name}`;
  if (consumer.containers.some((c) => c.name === name)) {
    invalid(consumer, 'consumer', name, `${app.node.path} is already injected into this workload; call addConsumer once per workload`);
  }
  for (const c of consumer.containers) {
    for (const p of c.ports) {
      if (p.number === port || p.number === adminPort) {
        invalid(consumer, `container ${c.name} port`, p.number, `it collides with the ${app.name} sidecar's ports (${port}, ${adminPort}); pass addConsumer(w, { port, adminPort }) with free ports`);
      }
    }
  }
  const config = buildBalancerConfig(app, { ...app._proxy.spec, listener: { host: '127.0.0.1', port }, adminPort });
  const id = `SidecarConfig-${port}-${adminPort}`;
  const configMap =
    (app.node.tryFindChild(id) as HashedConfigMap | undefined) ??
    new HashedConfigMap(app, id, `${app.name}-lb-sidecar`, app._objectNamespace, { [CONFIG_KEY]: serializeConfig(config) });
  const { image, bundle, resources } = app._proxy;
  addProxyContainer(consumer, {
    name,
    volumePrefix: name,
    config: configMap.configMap,
    bundle,
    image,
    resources,
    adminPort,
    listenerPort: port,
  });
  const meta = podMetadata(consumer);
  meta.addLabel(accessLabel(app.name), 'true');
  meta.addAnnotation(consumerChecksumAnnotation(app.name), sha256(JSON.stringify({ config: configMap.hash, bundle: bundle.hash })));
  addRuntimeDefaultSeccomp(consumer);
  const url = `http://127.0.0.1:${port}`;
  const envVar = options.envVar === undefined ? envVarName(app.name) : options.envVar;
  if (envVar !== false) {
    for (const c of consumer.containers) {
      if (c.name !== name && !c.name.startsWith('lb-')) c.env.addVariable(envVar, kplus.EnvValue.fromValue(url));
    }
  }
  return url;
}
