/**
 * Discovery: turns the config's sources into membership changes on one {@link EndpointSet}.
 */
import { ConfigError } from '../../config';
import type { ProxyConfig } from '../../config';
import type { Logger } from '../log';
import { createResolve, DnsWatch } from './dns';
import { EndpointSet } from './endpoint-set';
import { inClusterApiServer, SliceWatch } from './slice-watch';
import { specsFromSlices } from './slices';
import { staticSpecs } from './static';

export { EndpointSet, UpstreamEndpoint, endpointId } from './endpoint-set';
export type { EndpointSpec, EndpointChange } from './endpoint-set';

export interface Discovery {
  readonly set: EndpointSet;
  /** Seconds since the oldest watch stopped being current; 0 when every watch is current (DNS: always 0). */
  staleSeconds(): number;
  /** Settles once every source has answered once (or failed once). */
  readonly ready: Promise<void>;
  stop(): void;
}

export interface DiscoveryOptions {
  /** Overrides the servers of every DNS source (env LB_DNS_SERVERS). */
  readonly dnsServers?: readonly string[];
  readonly log: Logger;
  /** The environment (KUBERNETES_SERVICE_HOST); process.env by default. */
  readonly env?: NodeJS.ProcessEnv;
}

export function startDiscovery(config: ProxyConfig, opts: DiscoveryOptions): Discovery {
  const set = new EndpointSet();
  const log = opts.log;
  set.onChange((c) => {
    for (const e of c.added) log.info('endpoint added', { endpoint: e.id, subset: e.subset, weight: e.weight });
    for (const e of c.removed) log.info('endpoint removed', { endpoint: e.id, subset: e.subset });
    log.info('endpoint set changed', { total: c.all.length });
  });
  const watches: { readonly first: Promise<void>; stop(): void }[] = [];
  const slices: SliceWatch[] = [];
  config.upstream.sources.forEach((source, i) => {
    const name = `${source.kind}#${i}`;
    if (source.kind === 'static') {
      set.reset(name, staticSpecs(source, config.upstream.port));
      return;
    }
    if (source.kind === 'endpoint-slices') {
      const apiServer = source.apiServer ?? inClusterApiServer(opts.env ?? process.env);
      if (apiServer === undefined) {
        throw new ConfigError('LB_CONFIG_INVALID', [
          {
            path: `upstream.sources.${i}.apiServer`,
            message: 'endpoint-slices discovery needs the API server; fix: set apiServer, or run in a pod (KUBERNETES_SERVICE_HOST is not set)',
          },
        ]);
      }
      const spec = { subset: source.subset, weight: source.weight, portName: source.portName, defaultPort: config.upstream.port };
      const watch = new SliceWatch({
        apiServer,
        namespace: source.namespace,
        service: source.service,
        tokenFile: source.tokenFile,
        caFile: source.caFile,
        resyncMs: source.resyncMs,
        log,
        onSlices: (list) => set.reset(name, specsFromSlices(list, spec)),
      });
      watches.push(watch);
      slices.push(watch);
      return;
    }
    const servers = opts.dnsServers ?? source.servers;
    const weight = source.weight;
    watches.push(
      new DnsWatch({
        hostname: source.hostname,
        family: source.family,
        refreshIntervalMs: source.refreshIntervalMs,
        resolve: createResolve(servers, Math.min(2_000, source.refreshIntervalMs)),
        log,
        onAddresses: (addrs) =>
          set.reset(
            name,
            addrs.map((address) => ({ address, port: config.upstream.port, weight, subset: source.subset })),
          ),
      }),
    );
  });
  return {
    set,
    ready: Promise.all(watches.map((w) => w.first)).then(() => undefined),
    staleSeconds: () => {
      const since = Math.min(...slices.map((w) => w.staleSince ?? Infinity));
      return since === Infinity ? 0 : (Date.now() - since) / 1000;
    },
    stop: () => watches.forEach((w) => w.stop()),
  };
}
