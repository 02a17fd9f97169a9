/**
 * Prometheus exposition with prom-client. Counters on the request path are pre-bound children (no label hashing per
 * request); per-endpoint and pool-wide values are read from the live state at scrape time, so they cost nothing
 * between scrapes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { UpstreamEndpoint } from '../discovery/endpoint-set';
import { STATS } from './stats';

/** What the metrics read at scrape time. */
export interface StateView {
  endpoints(): readonly UpstreamEndpoint[];
  healthyCount(): number;
  panic(): boolean;
  describe(ep: UpstreamEndpoint): Record<string, number | string | undefined>;
  queued(): number;
  activeRequests(): number;
  ready(): boolean;
}

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export class ProxyMetrics {
  public readonly registry = new Registry();
  private readonly byClass: Counter.Internal[];
  public readonly duration: Histogram;
  public readonly retries: Counter;
  public readonly budgetExhausted: Counter;
  public readonly failures: Counter<'kind'>;
  public readonly pickNone: Counter;
  public readonly queueRejected: Counter<'reason'>;
  public readonly ejections: Counter;

  public constructor(view: StateView, defaults = true) {
    const registers = [this.registry];
    const rq = new Counter({ ...spec('downstreamRq'), registers });
    this.byClass = CLASSES.map((c) => rq.labels(c));
    this.duration = new Histogram({
      ...spec('downstreamRqDuration'),
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.retries = new Counter({ ...spec('upstreamRqRetry'), registers });
    this.budgetExhausted = new Counter({ ...spec('retryBudgetExhausted'), registers });
    this.failures = new Counter({ ...spec('upstreamFailure'), registers });
    this.pickNone = new Counter({ ...spec('pickNone'), registers });
    this.queueRejected = new Counter({ ...spec('queueRejected'), registers });
    this.ejections = new Counter({ ...spec('outlierEjections'), registers });
    const gauge = (key: keyof typeof STATS, read: () => number) =>
      new Gauge({
        ...spec(key),
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('downstreamRqActive', () => view.activeRequests());
    gauge('queueDepth', () => view.queued());
    gauge('endpointsHealthy', () => view.healthyCount());
    gauge('endpointsTotal', () => view.endpoints().length);
    gauge('panicMode', () => (view.panic() ? 1 : 0));
    gauge('ready', () => (view.ready() ? 1 : 0));
    new Gauge({
      ...spec('endpointInFlight'),
      registers,
      collect() {
        this.reset();
        for (const e of view.endpoints()) this.set({ endpoint: e.id }, e.inFlight);
      },
    });
    new Counter({
      ...spec('endpointRq'),
      registers,
      collect() {
        this.reset();
        for (const e of view.endpoints()) {
          this.inc({ endpoint: e.id, result: 'success' }, e.successes);
          this.inc({ endpoint: e.id, result: 'failure' }, e.failures);
        }
      },
    });
    new Gauge({
      ...spec('endpointLoad'),
      registers,
      collect() {
        this.reset();
        for (const e of view.endpoints()) {
          const d = view.describe(e);
          for (const k of Object.keys(d)) {
            const v = d[k];
            if (typeof v === 'number' && Number.isFinite(v)) this.set({ endpoint: e.id, key: k }, v);
          }
        }
      },
    });
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'lb_' });
  }

  /** One response to the client; `status` of 0 means the client went away first. */
  public observe(status: number, seconds: number): void {
    const c = (status / 100) | 0;
    if (c >= 1 && c <= 5) this.byClass[c - 1].inc();
    this.duration.observe(seconds);
  }
}

function spec(key: keyof typeof STATS): { name: string; help: string; labelNames: string[] } {
  const s: { name: string; help: string; labels?: readonly string[] } = STATS[key];
  return { name: s.name, help: s.help, labelNames: s.labels ? [...s.labels] : [] };
}
