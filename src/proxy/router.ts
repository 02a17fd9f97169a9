/**
 * The router: everything one proxied request needs, wired once. The per-request state machine lives in
 * {@link ProxyRequest}; this object owns the shared parts (endpoint choice, retries, admission, stats).
 */
import type { Duplex } from 'node:stream';
import type { ProxyConfig } from '../config';
import { upstreamIsHttp2 } from '../config/listener';
import { extractHashKey, parseLoadReport } from './balancer';
import type { Balancer } from './balancer/types';
import type { Deadlines } from './deadlines';
import type { EndpointSet, UpstreamEndpoint } from './discovery/endpoint-set';
import { Eligibility } from './health/eligibility';
import { SlowStart } from './health/slow-start';
import { OutlierDetector } from './health/outlier';
import { headerRecord, RequestIds } from './http/headers';
import type { Logger } from './log';
import type { ProxyMetrics } from './metrics/registry';
import { Admission } from './resilience/admission';
import { RetryBudget } from './resilience/retry-budget';
import { retryFlags, RetryFlags } from './resilience/policy';
import type { UpstreamPool } from './upstream/connection-owner';

export interface RouterDeps {
  readonly config: ProxyConfig;
  readonly set: EndpointSet;
  readonly balancer: Balancer;
  readonly pools: UpstreamPool;
  readonly clock: Deadlines;
  readonly metrics: ProxyMetrics;
  readonly log: Logger;
  readonly now: () => number;
  /** Uniform in [0, 1), for slow start and zone spill; Math.random by default. */
  readonly random?: () => number;
  /** The proxy's zone, when zone-aware routing is on and the zone is known. */
  readonly localZone?: () => string | undefined;
}

export class Router {
  public readonly config: ProxyConfig;
  public readonly set: EndpointSet;
  public readonly balancer: Balancer;
  public readonly pools: UpstreamPool;
  public readonly clock: Deadlines;
  public readonly metrics: ProxyMetrics;
  public readonly log: Logger;
  public readonly now: () => number;
  public readonly eligibility: Eligibility;
  /** Slow start of new and recovered endpoints, when the config asks for it. */
  public readonly slowStart: SlowStart | undefined;
  private readonly random: () => number;
  private readonly localZone: (() => string | undefined) | undefined;
  private zoneSplit: ZoneSplit | undefined;
  public readonly outlier: OutlierDetector;
  public readonly budget: RetryBudget;
  public readonly admission: Admission;
  public readonly retry: RetryFlags;
  public readonly ids = new RequestIds();
  public readonly maxPerEndpoint: number;
  /** Lower-cased load header for least-utilization, else undefined. */
  public readonly loadHeader: string | undefined;
  public readonly accessLog: boolean;
  /** The endpoints speak HTTP/2 (http2 and grpc listeners). */
  public readonly upstreamHttp2: boolean;
  /** Request bodies are kept (up to limits.retryBufferBytes) for a retry after a refused or UNAVAILABLE try. */
  public readonly keepBodies: boolean;
  /** Set on SIGTERM: responses carry `Connection: close` so clients move off this proxy. */
  public draining = false;
  public active = 0;
  /** Client sockets of open upgrade tunnels, closed at the end of a drain. */
  public readonly tunnels = new Set<Duplex>();

  public constructor(d: RouterDeps) {
    this.config = d.config;
    this.set = d.set;
    this.balancer = d.balancer;
    this.pools = d.pools;
    this.clock = d.clock;
    this.metrics = d.metrics;
    this.log = d.log;
    this.now = d.now;
    const c = d.config;
    this.eligibility = new Eligibility(d.set, c.panicThresholdPercent, d.now);
    this.outlier = new OutlierDetector(c.outlierDetection, () => d.set.all(), d.now, {
      onEject: (ep, forMs) => {
        this.eligibility.invalidate();
        d.metrics.ejections.inc();
        d.log.info('endpoint ejected', { endpoint: ep.id, forMs, ejections: ep.ejections });
      },
      onReturn: (ep) => {
        this.eligibility.invalidate();
        this.slowStart?.begin(ep);
        d.log.info('endpoint returned: a probe request succeeded', { endpoint: ep.id });
      },
      onProbeFailed: () => this.eligibility.invalidate(),
    });
    this.budget = new RetryBudget(c.retries.budget.ratio, c.retries.budget.minRetriesPerSecond, d.now);
    this.admission = new Admission(c.limits.maxInFlight, c.limits.maxQueue, c.limits.queueTimeoutMs);
    this.retry = retryFlags(c.retries);
    this.maxPerEndpoint = c.limits.maxInFlightPerEndpoint;
    this.loadHeader = c.algorithm.kind === 'least-utilization' ? c.algorithm.header.toLowerCase() : undefined;
    this.accessLog = c.logging.accessLog;
    this.upstreamHttp2 = upstreamIsHttp2(c.listener);
    this.keepBodies = this.upstreamHttp2 && c.limits.retryBufferBytes > 0;
    this.random = d.random ?? Math.random;
    this.localZone = c.zoneAware ? d.localZone : undefined;
    this.slowStart = c.slowStart && new SlowStart(c.slowStart, d.now, this.random);
    d.set.onChange((change) => {
      for (const ep of change.removed) d.pools.retire(ep);
      // Endpoints that join a pool that already serves ramp up; the first ones (a first start) do not.
      if (this.slowStart && change.all.length > change.added.length) for (const ep of change.added) this.slowStart.begin(ep);
      d.balancer.onEndpointsChanged(change.all);
      this.eligibility.invalidate();
    });
    d.balancer.onEndpointsChanged(d.set.all());
  }

  /** The request's hash key (consistent hashing only), from its raw header list. */
  public hashKeyOf(raw: readonly string[], remoteAddress: string | undefined): string | undefined {
    const a = this.config.algorithm;
    return a.kind === 'consistent-hash' ? extractHashKey(a.key, headerRecord(raw), remoteAddress) : undefined;
  }

  /** The load report in one header value (the response path finds the value while it copies the headers). */
  public loadReportOf(value: string | undefined): number | undefined {
    return value === undefined || this.loadHeader === undefined ? undefined : parseLoadReport(this.loadHeader, value);
  }

  /** Picks an endpoint for one try, or reports why none: 'none' (nothing eligible) or 'busy' (all at their limit). */
  public choose(
    hashKey: string | undefined,
    tried: readonly UpstreamEndpoint[] | undefined,
    mayProbe = false,
  ): UpstreamEndpoint | 'none' | 'busy' {
    if (mayProbe) {
      // An ejected endpoint whose probe time came gets this one request; its outcome decides whether it returns.
      const probe = this.eligibility.probeCandidate();
      if (probe !== undefined && probe.inFlight < this.maxPerEndpoint) {
        probe.probing = true;
        return probe;
      }
    }
    const list = this.eligibility.forTry(this.maxPerEndpoint, tried);
    if (list.length === 0) {
      const base = this.eligibility.base();
      if (base.length === 0) return 'none';
      for (const e of base) if (tried === undefined || !tried.includes(e)) return 'busy';
      return 'none';
    }
    const zone = this.localZone?.();
    const from = zone === undefined ? list : this.preferLocal(list, zone);
    let picked = this.balancer.pick(from, { hashKey }) as UpstreamEndpoint | undefined;
    if (picked === undefined) return 'none';
    if (this.slowStart !== undefined && !this.slowStart.keeps(picked, from)) {
      // A ramping endpoint passed up: the algorithm chooses again among the others.
      picked = (this.balancer.pick(from.filter((e) => e !== picked), { hashKey }) as UpstreamEndpoint | undefined) ?? picked;
    }
    if (zone !== undefined) this.metrics.zonePicks.inc({ locality: isLocal(picked, zone) ? 'local' : 'remote' });
    return picked;
  }

  /**
   * Zone-aware routing (Envoy's locality model, simplified): the local endpoints take the request while they have
   * headroom. Headroom is the share of the zone's endpoints that can take a try now (not ejected, failing, at their
   * in-flight limit, or tried): with all of them, every request stays local; with half, half the requests spill to
   * the other zones' endpoints, in proportion to what the zone lost. No local endpoint eligible: all go elsewhere.
   */
  private preferLocal(list: readonly UpstreamEndpoint[], zone: string): readonly UpstreamEndpoint[] {
    // The eligible list is a cached array that changes only with membership or health, so its split into local and
    // remote is cached with it: the steady state allocates nothing per pick.
    let z = this.zoneSplit;
    if (z === undefined || z.list !== list || z.zone !== zone || z.version !== this.set.version) {
      const local = list.filter((e) => isLocal(e, zone));
      let total = 0;
      for (const e of this.set.all()) if (!e.terminating && isLocal(e, zone)) total++;
      z = { list, zone, version: this.set.version, local, remote: list.filter((e) => !isLocal(e, zone)), headroom: local.length / Math.max(total, local.length) };
      this.zoneSplit = z;
    }
    if (z.local.length === 0 || z.remote.length === 0) return list;
    return z.headroom >= 1 || this.random() < z.headroom ? z.local : z.remote;
  }

  /** True when an endpoint outside `tried` could take a try now. */
  public hasAlternative(tried: readonly UpstreamEndpoint[]): boolean {
    return this.eligibility.forTry(this.maxPerEndpoint, tried).length > 0;
  }

  /** An endpoint passed its health checks again: it ramps up like a new one. */
  public onRecovered(ep: UpstreamEndpoint): void {
    this.eligibility.invalidate();
    this.slowStart?.begin(ep);
  }

  /** True when at least one endpoint could take a request now or soon (readiness). */
  public hasEligible(): boolean {
    return this.eligibility.base().length > 0;
  }
}

/** An eligible list split by zone, with the local zone's headroom (the share of its endpoints in the list). */
interface ZoneSplit {
  readonly list: readonly UpstreamEndpoint[];
  readonly zone: string;
  readonly version: number;
  readonly local: readonly UpstreamEndpoint[];
  readonly remote: readonly UpstreamEndpoint[];
  readonly headroom: number;
}

/** In `zone`: hinted for it when the endpoint has hints (EndpointSlice hints.forZones), else located in it. */
function isLocal(e: UpstreamEndpoint, zone: string): boolean {
  return e.forZones !== undefined ? e.forZones.includes(zone) : e.zone === zone;
}
