/**
 * Discovery: turns the config's sources into membership changes on one {@link EndpointSet}.
 */
import type { ProxyConfig } from '../../config';
import type { Logger } from '../log';
import { createResolve, DnsWatch } from './dns';
import { EndpointSet } from './endpoint-set';
import { staticSpecs } from './static';

export { EndpointSet, UpstreamEndpoint, endpointId } from './endpoint-set';
export type { EndpointSpec, EndpointChange } from './endpoint-set';

export interface Discovery {
  readonly set: EndpointSet;
  /** Settles once every source has answered once (or failed once). */
  readonly ready: Promise<void>;
  stop(): void;
}

export interface DiscoveryOptions {
  /** Overrides the servers of every DNS source (env LB_DNS_SERVERS). */
  readonly dnsServers?: readonly string[];
  readonly log: Logger;
}

export function startDiscovery(config: ProxyConfig, opts: DiscoveryOptions): Discovery {
  const set = new EndpointSet();
  const log = opts.log;
  set.onChange((c) => {
    for (const e of c.added) log.info('endpoint added', { endpoint: e.id, subset: e.subset, weight: e.weight });
    for (const e of c.removed) log.info('endpoint removed', { endpoint: e.id, subset: e.subset });
    log.info('endpoint set changed', { total: c.all.length });
  });
  const watches: DnsWatch[] = [];
  config.upstream.sources.forEach((source, i) => {
    const name = `${source.kind}#${i}`;
    if (source.kind === 'static') {
      set.reset(name, staticSpecs(source, config.upstream.port));
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
    stop: () => watches.forEach((w) => w.stop()),
  };
}
