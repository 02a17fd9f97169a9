/**
 * Lifecycle: wire the modules for a validated, frozen config, start discovery, listen, become ready.
 *
 * On stop (SIGTERM): not ready at once, and every answer carries `Connection: close`; keep accepting for
 * shutdownDelayMs, while Kubernetes takes the pod out of its endpoints (a listener that closes at once makes clients
 * see ECONNREFUSED during every rollout); then close the listener and idle connections, let in-flight requests finish
 * within drainMs, close what is left, and resolve.
 * A tcp listener goes through the same steps: each open connection counts as a request in flight.
 */
import type * as http from 'node:http';
import type { ProxyConfig } from '../config';
import { listenerProtocol, upstreamIsHttp2 } from '../config/listener';
import { createUpstreamBalancer } from './balancer';
import { createAdminServer, AdminView } from './admin';
import { Discovery, startDiscovery } from './discovery';
import type { UpstreamEndpoint } from './discovery/endpoint-set';
import { ActiveHealthChecker } from './health/active';
import { GrpcHealthProbe } from './health/grpc-probe';
import { tcpProbe } from './health/tcp-probe';
import { Listener } from './connection';
import type { ProxyListener } from './listening';
import { TcpListener } from './tcp/tcp-listener';
import { Deadlines } from './deadlines';
import type { Logger } from './log';
import { ProxyMetrics } from './metrics/registry';
import { Router } from './router';
import { H2Pools } from './upstream/h2-pool';
import { UpstreamPools } from './upstream/pool';

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
  /**
   * Graceful stop: not ready, keep accepting for `delayMs` (default shutdownDelayMs), stop accepting, drain up to
   * drainMs, close. Resolves with whether it drained cleanly.
   */
  stop(delayMs?: number): Promise<boolean>;
}

const now = (): number => performance.now();

export async function startProxy(config: ProxyConfig, o: StartOptions): Promise<RunningProxy> {
  const log = o.log;
  const discovery = startDiscovery(config, { dnsServers: o.dnsServers, log });
  const balancer = createUpstreamBalancer(config, { random: Math.random, now });
  const t = config.timeouts;
  const clock = new Deadlines(Math.min(t.connectMs, t.requestMs, t.idleMs, t.clientIdleMs, t.headersMs));
  const pools = upstreamIsHttp2(config.listener)
    ? new H2Pools({ clock, timeouts: config.timeouts, now })
    : new UpstreamPools({ clock, timeouts: config.timeouts, maxIdle: config.limits.maxIdlePerEndpoint });
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
    staleSeconds: () => discovery.staleSeconds(),
  };
  const metrics = new ProxyMetrics(view, o.defaultMetrics ?? true);
  router = new Router({ config, set: discovery.set, balancer, pools, clock, metrics, log, now, localZone: () => discovery.localZone() });
  const r = router;
  // The probe by protocol: a TCP connect, grpc.health.v1.Health/Check for gRPC endpoints, else HTTP GET healthCheck.path.
  const hc = config.healthCheck;
  const protocol = listenerProtocol(config.listener);
  const grpcHealth = hc && protocol === 'grpc' ? new GrpcHealthProbe(hc.grpcService ?? '') : undefined;
  const checker = hc
    ? new ActiveHealthChecker(hc, log, (ep) => (ep.healthy ? r.onRecovered(ep) : r.eligibility.invalidate()), protocol === 'tcp' ? tcpProbe : grpcHealth?.probe)
    : undefined;
  if (checker) {
    for (const ep of discovery.set.all()) checker.add(ep);
    discovery.set.onChange((c) => {
      c.removed.forEach((ep) => {
        checker.remove(ep);
        grpcHealth?.forget(ep);
      });
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
  const listener: ProxyListener = protocol === 'tcp' ? new TcpListener(r) : new Listener(r);
  const admin = o.admin === false ? undefined : createAdminServer(adminView, metrics);
  const adminPort = admin ? await listenAdmin(admin, config.admin.port, config.admin.host) : undefined;
  const port = await listener.listen(o.listenPort ?? config.listener.port, o.listenHost ?? config.listener.host);
  log.info('proxy listening', {
    listener: `${o.listenHost ?? config.listener.host}:${port}`,
    admin: admin ? `${config.admin.host}:${adminPort}` : undefined,
    algorithm: config.algorithm.kind,
    endpoints: discovery.set.size,
    startupMs: Math.round(performance.now()),
  });

  const stop = async (delayMs = config.shutdownDelayMs): Promise<boolean> => {
    draining = true;
    r.draining = true;
    log.info('shutting down: not ready; still accepting', { shutdownDelayMs: delayMs, drainMs: config.drainMs });
    if (delayMs > 0) await sleep(delayMs);
    log.info('draining', { activeRequests: r.active, connections: listener.connections });
    const closed = listener.stopAccepting();
    listener.closeIdle();
    const clean = await waitIdle(r, listener, config.drainMs);
    if (!clean) log.warn('drain time over; closing the requests still in flight', { activeRequests: r.active });
    listener.closeAll();
    await closed;
    r.admission.clear();
    discovery.stop();
    checker?.stop();
    grpcHealth?.stop();
    pools.closeIdle();
    if (pools instanceof H2Pools) pools.stop();
    if (admin) await closeServer(admin);
    log.info('stopped', { clean });
    return clean;
  };
  return { router: r, discovery, port, adminPort, ready: view.ready, stop };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves true once no request is in flight and no tunnel is open, false when `ms` pass first; closes idle
 * keep-alive sockets meanwhile. Tunnels (WebSockets) get the drain time to finish on their own.
 */
function waitIdle(r: Router, listener: ProxyListener, ms: number): Promise<boolean> {
  const idle = (): boolean => r.active === 0 && r.tunnels.size === 0;
  if (idle()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const deadline = Date.now() + ms;
    const timer = setInterval(() => {
      listener.closeIdle();
      if (idle() || Date.now() >= deadline) {
        clearInterval(timer);
        resolve(idle());
      }
    }, 25);
  });
}

function listenAdmin(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}

function closeServer(s: http.Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}
