/**
 * Prometheus exposition with prom-client. The request path only adds to plain numbers (a status-class array and the
 * duration histogram's bucket counts): prom-client's own inc()/observe() hash labels and validate values on every
 * call, which cost ~2% of a proxied request's CPU. prom-client reads the numbers at scrape time, as it does for the
 * per-endpoint and pool-wide values, and does all the formatting.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metric } from 'prom-client';
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
  /** Seconds the discovery view may have been stale; 0 when current (or for sources that cannot tell). */
  staleSeconds?(): number;
}

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** How a connection of a tcp listener ended: the `result` label of lb_downstream_cx_total (see stats.ts). */
export const CX_RESULTS = ['proxied', 'connect-failure', 'no-endpoint', 'overloaded', 'aborted'] as const;
export type CxResult = (typeof CX_RESULTS)[number];
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A label-less histogram kept in plain numbers and shown to prom-client's registry as a metric of its own
 * (the registry asks a metric for `get()`; the values use prom-client's histogram layout and formatting).
 */
class BucketHistogram {
  public readonly type = 'histogram';
  public readonly aggregator = 'sum';
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  public constructor(
    public readonly name: string,
    public readonly help: string,
    private readonly upper: readonly number[],
  ) {
    this.counts = new Float64Array(upper.length);
  }

  public observe(v: number): void {
    const u = this.upper;
    let i = 0;
    while (i < u.length && v > u[i]) i++;
    if (i < u.length) this.counts[i]++;
    this.sum += v;
    this.count++;
  }

  public get(): { name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> } {
    const values = [];
    let acc = 0;
    for (let i = 0; i < this.upper.length; i++) {
      acc += this.counts[i];
      values.push({ labels: { le: this.upper[i] }, value: acc, metricName: `${this.name}_bucket` });
    }
    values.push({ labels: { le: '+Inf' }, value: this.count, metricName: `${this.name}_bucket` });
    values.push({ labels: {}, value: this.sum, metricName: `${this.name}_sum` });
    values.push({ labels: {}, value: this.count, metricName: `${this.name}_count` });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  public reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

export class ProxyMetrics {
  public readonly registry = new Registry();
  /** Responses by status class, 1xx..5xx at 0..4. */
  private readonly byClass = new Float64Array(5);
  private readonly duration: BucketHistogram;
  public readonly retries: Counter;
  public readonly budgetExhausted: Counter;
  public readonly failures: Counter<'kind'>;
  public readonly pickNone: Counter;
  public readonly queueRejected: Counter<'reason'>;
  public readonly ejections: Counter;
  public readonly zonePicks: Counter<'locality'>;
  /** TCP listener: open client connections. */
  public cxActive = 0;
  /** TCP listener: closed connections by result (CX_RESULTS order), and their bytes from and to clients. */
  private readonly cxByResult = new Float64Array(CX_RESULTS.length);
  private readonly cxBytes = new Float64Array(2);

  public constructor(view: StateView, defaults = true) {
    const registers = [this.registry];
    const byClass = this.byClass;
    new Counter({
      ...spec('downstreamRq'),
      registers,
      collect() {
        this.reset();
        for (let i = 0; i < CLASSES.length; i++) this.inc({ code_class: CLASSES[i] }, byClass[i]);
      },
    });
    const d = STATS.downstreamRqDuration;
    this.duration = new BucketHistogram(d.name, d.help, DURATION_BUCKETS);
    this.registry.registerMetric(this.duration as unknown as Metric);
    this.retries = new Counter({ ...spec('upstreamRqRetry'), registers });
    this.budgetExhausted = new Counter({ ...spec('retryBudgetExhausted'), registers });
    this.failures = new Counter({ ...spec('upstreamFailure'), registers });
    this.pickNone = new Counter({ ...spec('pickNone'), registers });
    this.queueRejected = new Counter({ ...spec('queueRejected'), registers });
    this.ejections = new Counter({ ...spec('outlierEjections'), registers });
    this.zonePicks = new Counter({ ...spec('zonePicks'), registers });
    const cxByResult = this.cxByResult;
    new Counter({
      ...spec('downstreamCx'),
      registers,
      collect() {
        this.reset();
        for (let i = 0; i < CX_RESULTS.length; i++) if (cxByResult[i] > 0) this.inc({ result: CX_RESULTS[i] }, cxByResult[i]);
      },
    });
    const cxBytes = this.cxBytes;
    new Counter({
      ...spec('downstreamCxBytes'),
      registers,
      collect() {
        this.reset();
        if (cxBytes[0] > 0) this.inc({ direction: 'rx' }, cxBytes[0]);
        if (cxBytes[1] > 0) this.inc({ direction: 'tx' }, cxBytes[1]);
      },
    });
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
    gauge('discoveryStale', () => view.staleSeconds?.() ?? 0);
    gauge('downstreamCxActive', () => this.cxActive);
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

  /** One closed connection of a tcp listener, with the bytes it carried from (rx) and to (tx) its client. */
  public countCx(result: CxResult, rx: number, tx: number): void {
    this.cxByResult[CX_RESULTS.indexOf(result)]++;
    this.cxBytes[0] += rx;
    this.cxBytes[1] += tx;
  }

  /** One response to the client; `status` of 0 means the client went away first. */
  public observe(status: number, seconds: number): void {
    const c = (status / 100) | 0;
    if (c >= 1 && c <= 5) this.byClass[c - 1]++;
    this.duration.observe(seconds);
  }
}

function spec(key: keyof typeof STATS): { name: string; help: string; labelNames: string[] } {
  const s: { name: string; help: string; labels?: readonly string[] } = STATS[key];
  return { name: s.name, help: s.help, labelNames: s.labels ? [...s.labels] : [] };
}
