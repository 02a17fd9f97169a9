/**
 * One proxy replica in virtual time. It holds the proxy's REAL decision core: an {@link EndpointSet}, the configured
 * balancer, and a {@link Router} (eligibility with panic mode, outlier detection with probe-back, the retry budget and
 * retry flags), built exactly as the proxy builds them. Only the sockets are replaced: a try goes to a modelled
 * backend, and its result comes back through the same `recordTry` / `retryVerdict` functions the exchange calls
 * (src/proxy/resilience/try-outcome.ts). The request flow below mirrors src/proxy/exchange.ts step by step.
 */
import type { ProxyConfig } from '../config';
import type { Balancer } from '../proxy/balancer/types';
import type { Deadlines } from '../proxy/deadlines';
import { EndpointSet, endpointId, UpstreamEndpoint } from '../proxy/discovery/endpoint-set';
import type { Logger } from '../proxy/log';
import type { ProxyMetrics } from '../proxy/metrics/registry';
import { isIdempotent, retriableFailure } from '../proxy/resilience/policy';
import { recordTry, retryVerdict } from '../proxy/resilience/try-outcome';
import { Router } from '../proxy/router';
import type { UpstreamPools } from '../proxy/upstream/pool';
import type { SimBackend, TryResult } from './backend';
import type { EventQueue } from './clock';

/** One client request inside the simulator. */
export interface SimRequest {
  readonly arrived: number;
  readonly hashKey: string | undefined;
  /** Called once with the status the client gets (proxy-made 502/503/504 included). */
  finish(status: number): void;
  attempts: number;
  tried?: UpstreamEndpoint[];
  last?: UpstreamEndpoint;
  waiting?: boolean;
}

/** What the replica reports to the recorder. */
export interface ReplicaEvents {
  onTry(backend: number): void;
}

const SOURCE = 'simulated';
const METHOD = 'GET'; // simulated requests are idempotent and bodiless: probes and retries may use them

const quiet = (): void => {};
const counter = { inc: quiet };
const LOG: Logger = { debug: quiet, info: quiet, warn: quiet, error: quiet, enabled: () => false, setLevel: quiet };
const METRICS = { ejections: counter, retries: counter, budgetExhausted: counter, pickNone: counter } as unknown as ProxyMetrics;
const POOLS = { retire: quiet } as unknown as UpstreamPools;
const DEADLINES = {} as unknown as Deadlines;

/** The address the i-th backend gets in every replica's endpoint set. */
export function backendAddress(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

export class SimReplica {
  public readonly set = new EndpointSet();
  public readonly router: Router;
  private readonly index = new Map<string, number>();
  private readonly waiting: SimRequest[] = [];
  private readonly mayProbe = isIdempotent(METHOD);

  public constructor(
    private readonly config: ProxyConfig,
    balancer: Balancer,
    private readonly clock: EventQueue,
    private readonly backends: readonly SimBackend[],
    private readonly events: ReplicaEvents,
  ) {
    this.router = new Router({
      config,
      set: this.set,
      balancer,
      pools: POOLS,
      clock: DEADLINES,
      metrics: METRICS,
      log: LOG,
      now: () => clock.now,
    });
  }

  public join(i: number): void {
    const b = this.backends[i];
    const address = backendAddress(i);
    this.index.set(endpointId(address, 8080), i);
    this.set.add(SOURCE, { address, port: 8080, weight: b.spec.weight ?? 1, subset: 'app' });
  }

  public leave(i: number): void {
    this.set.remove(SOURCE, endpointId(backendAddress(i), 8080));
  }

  /** The endpoint id the i-th backend has in this replica's set. */
  public idOf(i: number): string {
    return endpointId(backendAddress(i), 8080);
  }

  public backendIndex(ep: { readonly id: string }): number {
    return this.index.get(ep.id) as number;
  }

  /** A request arrives (Exchange.start / tryStart). */
  public handle(req: SimRequest): void {
    this.router.budget.recordRequest();
    // FIFO, as the proxy's Admission: nobody overtakes a request already waiting.
    if (!this.router.admission.hasRoom() || this.waiting.length > 0 || !this.tryStart(req)) this.wait(req);
  }

  private tryStart(req: SimRequest): boolean {
    const r = this.router;
    const choice = r.choose(req.hashKey, undefined, this.mayProbe);
    if (choice === 'busy') return false;
    if (choice === 'none') {
      req.finish(503);
      return true;
    }
    r.admission.acquire();
    this.send(req, choice);
    return true;
  }

  /** The admission queue in virtual time (the proxy's Admission uses a real timer for the wait). */
  private wait(req: SimRequest): void {
    const limits = this.config.limits;
    if (this.waiting.length >= limits.maxQueue) {
      req.finish(503);
      return;
    }
    req.waiting = true;
    this.waiting.push(req);
    this.clock.at(this.clock.now + limits.queueTimeoutMs, () => {
      if (!req.waiting) return;
      req.waiting = false;
      this.waiting.splice(this.waiting.indexOf(req), 1);
      req.finish(503);
    });
  }

  private wake(): void {
    while (this.waiting.length > 0 && this.router.admission.inFlight < this.config.limits.maxInFlight) {
      const req = this.waiting[0];
      if (!this.tryStart(req)) return;
      this.waiting.shift();
      req.waiting = false;
    }
  }

  private send(req: SimRequest, ep: UpstreamEndpoint): void {
    req.last = ep;
    ep.inFlight++;
    const started = this.clock.now;
    const i = this.backendIndex(ep);
    this.events.onTry(i);
    this.backends[i].send({ done: (result) => this.tryEnded(req, ep, started, result) });
  }

  /** Exchange.onResponseHead / onFailure, without the bytes. */
  private tryEnded(req: SimRequest, ep: UpstreamEndpoint, started: number, result: TryResult): void {
    const r = this.router;
    const latencyMs = this.clock.now - started;
    ep.inFlight--;
    if (result.kind === 'response') {
      const ok = result.status < 500;
      recordTry(r, ep, { ok, status: result.status, latencyMs, loadReport: r.loadHeader === undefined ? undefined : result.loadReport });
      if (!ok && r.retry.status.has(result.status) && this.reserveRetry(req, false)) this.retry(req, result.status);
      else this.done(req, result.status);
    } else {
      recordTry(r, ep, { ok: false, latencyMs });
      const kind = result.kind;
      const safe = kind === 'connect-failure' || kind === 'reset';
      if (safe && retriableFailure(kind, r.retry) && this.reserveRetry(req, kind === 'connect-failure')) this.retry(req, 0);
      else this.done(req, kind === 'timeout' ? 504 : 502);
    }
    if (this.waiting.length > 0) this.wake();
  }

  private reserveRetry(req: SimRequest, anyMethod: boolean): boolean {
    const allowed = this.mayProbe || anyMethod;
    return retryVerdict(this.router, allowed, req.attempts, req.tried, req.last as UpstreamEndpoint) === 'retry';
  }

  private retry(req: SimRequest, status: number): void {
    (req.tried ??= []).push(req.last as UpstreamEndpoint);
    const next = this.router.choose(req.hashKey, req.tried, false);
    if (typeof next === 'string') {
      this.done(req, status !== 0 ? status : 502);
      return;
    }
    req.attempts++;
    this.send(req, next);
  }

  private done(req: SimRequest, status: number): void {
    this.router.admission.release();
    req.finish(status);
  }
}
