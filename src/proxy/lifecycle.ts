/**
 * Lifecycle: wire the modules for a validated, frozen config, start discovery, listen, become ready; on stop, stop
 * being ready, stop accepting, let in-flight requests finish within drainMs, close keep-alive sockets, and resolve.
 */
import type * as http from 'node:http';
import type { ProxyConfig } from '../config';
import { createBalancer } from './balancer';
import { createAdminServer, AdminView } from './admin';
import { Discovery, startDiscovery } from './discovery';
import type { UpstreamEndpoint } from './discovery/endpoint-set';
import { Forwarder } from './forwarder';
import { ActiveHealthChecker } from './health/active';
import { createListener, listen } from './listener';
import type { Logger } from './log';
import { ProxyMetrics } from './metrics/registry';
import { Router } from './router';

export interface StartOptions {
  readonly log: Logger;
  readonly dnsServers?: readonly string[];
  /** Override the listener address (smoke mode runs on 127.0.0.1:0). */
  readonly listenHost?: string;
  readonly listenPort?: number;
  /** false: no admin server (smoke mode). */
  readonly admin?: boolean;
  readonly defaultMetrics?: boolean;
}

export interface RunningProxy {
  readonly router: Router;
  readonly discovery: Discovery;
  readonly port: number;
  readonly adminPort: number | undefined;
  ready(): boolean;
  /** Graceful stop: not ready, stop accepting, drain up to drainMs, close. Resolves with whether it drained cleanly. */
  stop(): Promise<boolean>;
}

const now = (): number => performance.now();

export async function startProxy(config: ProxyConfig, o: StartOptions): Promise<RunningProxy> {
  const log = o.log;
  const discovery = startDiscovery(config, { dnsServers: o.dnsServers, log });
  const balancer = createBalancer(config.algorithm, { random: Math.random, now });
  const forwarder = new Forwarder({
    timeouts: config.timeouts,
    connectionsPerEndpoint: config.limits.maxInFlightPerEndpoint,
  });
  let draining = false;
  let router: Router | undefined;
  const view = {
    endpoints: () => discovery.set.all(),
    healthyCount: () => (router ? (router.eligibility.base(), router.eligibility.healthyCount) : 0),
    panic: () => (router ? (router.eligibility.base(), router.eligibility.panic) : false),
    describe: (ep: UpstreamEndpoint) => balancer.describe(ep),
    queued: () => router?.admission.queued ?? 0,
    activeRequests: () => router?.active ?? 0,
    ready: () => !draining && router !== undefined && router.hasEligible(),
  };
  const metrics = new ProxyMetrics(view, o.defaultMetrics ?? true);
  router = new Router({ config, set: discovery.set, balancer, forwarder, metrics, log, now });
  const r = router;
  const checker = config.healthCheck
    ? new ActiveHealthChecker(config.healthCheck, log, () => r.eligibility.invalidate())
    : undefined;
  if (checker) {
    for (const ep of discovery.set.all()) checker.add(ep);
    discovery.set.onChange((c) => {
      c.removed.forEach((ep) => checker.remove(ep));
      c.added.forEach((ep) => checker.add(ep));
    });
  }
  const adminView: AdminView = {
    ...view,
    readyReason: () => (draining ? 'draining' : discovery.set.size === 0 ? 'no endpoints discovered' : 'no eligible endpoint'),
    summary: () => ({
      algorithm: config.algorithm.kind,
      ready: view.ready(),
      draining,
      panic: view.panic(),
      healthy: view.healthyCount(),
      total: discovery.set.size,
      activeRequests: r.active,
      queued: r.admission.queued,
    }),
    now,
  };
  const server = createListener(config, r);
  const admin = o.admin === false ? undefined : createAdminServer(adminView, metrics);
  const adminPort = admin ? await listen(admin, config.admin.port, config.admin.host) : undefined;
  const port = await listen(server, o.listenPort ?? config.listener.port, o.listenHost ?? config.listener.host);
  log.info('proxy listening', {
    listener: `${o.listenHost ?? config.listener.host}:${port}`,
    admin: admin ? `${config.admin.host}:${adminPort}` : undefined,
    algorithm: config.algorithm.kind,
    endpoints: discovery.set.size,
    startupMs: Math.round(performance.now()),
  });

  const stop = async (): Promise<boolean> => {
    draining = true;
    r.draining = true;
    log.info('draining', { activeRequests: r.active, drainMs: config.drainMs });
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const clean = await waitIdle(r, server, config.drainMs);
    if (!clean) log.warn('drain time over; closing the requests still in flight', { activeRequests: r.active });
    server.closeAllConnections();
    for (const t of r.tunnels) t.destroy();
    await closed;
    r.admission.clear();
    discovery.stop();
    checker?.stop();
    await forwarder.close(clean ? 1_000 : 0);
    if (admin) await closeServer(admin);
    log.info('stopped', { clean });
    return clean;
  };
  return { router: r, discovery, port, adminPort, ready: view.ready, stop };
}

/** Resolves true once no request is in flight, false when `ms` pass first; closes idle keep-alive sockets meanwhile. */
function waitIdle(r: Router, server: http.Server, ms: number): Promise<boolean> {
  if (r.active === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const deadline = Date.now() + ms;
    const timer = setInterval(() => {
      server.closeIdleConnections();
      if (r.active === 0 || Date.now() >= deadline) {
        clearInterval(timer);
        resolve(r.active === 0);
      }
    }, 25);
  });
}

function closeServer(s: http.Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}
