/**
 * Discovery: turns the config's sources into membership changes on one {@link EndpointSet}.
 */
import { ConfigError } from '../../config';
import type { ProxyConfig } from '../../config';
import type { Logger } from '../log';
import { createResolve, DnsWatch } from './dns';
import { EndpointSet } from './endpoint-set';
import { inClusterApiServer, SliceWatch } from './slice-watch';
import { specsFromSlices, zoneOfNode } from './slices';
import type { EndpointSlice } from './slices';
import { staticSpecs } from './static';

export { EndpointSet, UpstreamEndpoint, endpointId } from './endpoint-set';
export type { EndpointSpec, EndpointChange } from './endpoint-set';

export interface Discovery {
  readonly set: EndpointSet;
  /**
   * The proxy's zone: config zoneAware.zone, else env LB_ZONE, else the zone the EndpointSlices give an endpoint on
   * this proxy's node (env NODE_NAME, from the downward API); undefined when none of them tells.
   */
  localZone(): string | undefined;
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
  const lastSlices = new Map<number, readonly EndpointSlice[]>();
  /** The zone learned from the slices, recomputed when they change ('' = not known). */
  let learnedZone: string | undefined;
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
        onSlices: (list) => {
          lastSlices.set(i, list);
          learnedZone = undefined;
          set.reset(name, specsFromSlices(list, spec));
        },
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
    localZone: () => {
      const env = opts.env ?? process.env;
      const fixed = config.zoneAware?.zone ?? env.LB_ZONE;
      if (fixed) return fixed;
      const node = env.NODE_NAME;
      if (!node) return undefined;
      if (learnedZone === undefined) {
        learnedZone = '';
        for (const list of lastSlices.values()) learnedZone ||= zoneOfNode(list, node) ?? '';
      }
      return learnedZone || undefined;
    },
    staleSeconds: () => {
      const since = Math.min(...slices.map((w) => w.staleSince ?? Infinity));
      return since === Infinity ? 0 : (Date.now() - since) / 1000;
    },
    stop: () => watches.forEach((w) => w.stop()),
  };
}
