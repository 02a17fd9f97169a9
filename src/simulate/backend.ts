/**
 * A modelled backend: `capacity` requests in service at once, a FIFO queue behind them, a service time drawn from
 * its latency model (× its degradation factor × its warm-up factor), fast error answers at its error rate, and crashes
 * (in-flight requests reset, connects refused until recovery). It knows nothing about proxies; a proxy replica sends
 * it a {@link Job} and hears back through `job.done`.
 */
import type { EventQueue } from './clock';
import { Rng } from './random';
import type { BackendSpec, LatencyModel } from './scenario';

/** How a try ended, as the proxy sees it. */
export type TryResult =
  | { readonly kind: 'response'; readonly status: number; readonly loadReport: number | undefined }
  | { readonly kind: 'connect-failure' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'timeout' };

export interface Job {
  /** Called once, at the virtual time the proxy learns the result. */
  done(result: TryResult): void;
  /** Internal: when the job entered the queue, and whether it was settled. */
  queuedAt?: number;
  settled?: boolean;
}

const Z99 = 2.3263478740408408;

export class SimBackend {
  /** In service plus queued, over all proxies: what a JSQ oracle with global knowledge sees. */
  public busy = 0;
  public served = 0;
  private readonly queue: Job[] = [];
  private inService = new Set<Job>();
  private readonly rng: Rng;
  private readonly capacity: number;
  private down = false;
  private warmFrom: number;
  private halfNet: number;
  private readonly network: LatencyModel | undefined;

  public constructor(
    public readonly spec: BackendSpec,
    private readonly clock: EventQueue,
    seed: number,
    networkMs: number,
    private readonly requestMs: number,
    network?: LatencyModel,
  ) {
    this.rng = new Rng(seed, `backend:${spec.name}`);
    this.capacity = spec.capacity ?? Infinity;
    this.warmFrom = spec.joinAtMs ?? 0;
    this.halfNet = networkMs / 2;
    this.network = network;
    for (const e of spec.events ?? []) {
      if (e.kind !== 'crash') continue;
      clock.at(e.atMs, () => this.crash());
      if (e.recoverAtMs !== undefined) clock.at(e.recoverAtMs, () => this.recover());
    }
  }

  /** A proxy sends a request (the connect and the request take half the round trip). */
  public send(job: Job): void {
    // With a network distribution, each way takes half of a freshly sampled round trip.
    if (this.network !== undefined) this.halfNet = this.sample(this.network) / 2;
    const arrive = this.clock.now + this.halfNet;
    if (this.halfNet === 0) this.receive(job);
    else this.clock.at(arrive, () => this.receive(job));
  }

  private receive(job: Job): void {
    if (this.down) {
      this.reply(job, { kind: 'connect-failure' });
      return;
    }
    this.busy++;
    if (this.inService.size < this.capacity) {
      this.start(job);
      return;
    }
    job.queuedAt = this.clock.now;
    this.queue.push(job);
    // The proxy gives up on a try after requestMs without an answer (timeouts.requestMs).
    this.clock.at(this.clock.now + this.requestMs, () => {
      const i = this.queue.indexOf(job);
      if (i < 0) return;
      this.queue.splice(i, 1);
      this.busy--;
      this.settle(job, { kind: 'timeout' });
    });
  }

  private start(job: Job): void {
    this.inService.add(job);
    const now = this.clock.now;
    const errorRate = this.errorRate(now);
    const failed = errorRate > 0 && this.rng.next() < errorRate;
    const serviceMs = failed ? (this.spec.failLatencyMs ?? 1) : this.sample(this.spec.latency) * this.factor(now);
    const waited = job.queuedAt === undefined ? 0 : now - job.queuedAt;
    this.clock.at(now + serviceMs, () => {
      if (!this.inService.delete(job)) return; // reset by a crash
      this.busy--;
      this.served++;
      const status = failed ? (this.spec.errorStatus ?? 500) : 200;
      const load = this.capacity === Infinity ? undefined : Math.min(1, this.busy / this.capacity);
      if (waited + serviceMs + this.halfNet * 2 > this.requestMs) this.settle(job, { kind: 'timeout' });
      else this.reply(job, { kind: 'response', status, loadReport: load });
      this.next();
    });
  }

  private next(): void {
    while (this.queue.length > 0 && this.inService.size < this.capacity) {
      const job = this.queue.shift() as Job;
      if (!job.settled) this.start(job);
    }
  }

  private reply(job: Job, result: TryResult): void {
    if (this.halfNet === 0) this.settle(job, result);
    else this.clock.at(this.clock.now + this.halfNet, () => this.settle(job, result));
  }

  private settle(job: Job, result: TryResult): void {
    if (job.settled) return;
    job.settled = true;
    job.done(result);
  }

  private crash(): void {
    this.down = true;
    const lost = [...this.inService, ...this.queue];
    this.inService.clear();
    this.queue.length = 0;
    this.busy = 0;
    for (const job of lost) this.reply(job, { kind: 'reset' });
  }

  private recover(): void {
    this.down = false;
    this.warmFrom = this.clock.now;
  }

  private errorRate(now: number): number {
    let rate = this.spec.errorRate ?? 0;
    for (const e of this.spec.events ?? []) {
      if (e.kind === 'degrade' && e.errorRate !== undefined && now >= e.fromMs && now < e.toMs) rate = Math.max(rate, e.errorRate);
    }
    return rate;
  }

  /** Degradation × warm-up at `now`. */
  private factor(now: number): number {
    let f = 1;
    for (const e of this.spec.events ?? []) {
      if (e.kind === 'degrade' && e.latencyFactor !== undefined && now >= e.fromMs && now < e.toMs) f *= e.latencyFactor;
    }
    const w = this.spec.warmUp;
    if (w !== undefined && now - this.warmFrom < w.windowMs) f *= 1 + (w.factor - 1) * (1 - (now - this.warmFrom) / w.windowMs);
    return f;
  }

  private sample(l: LatencyModel): number {
    switch (l.kind) {
      case 'fixed':
        return l.ms;
      case 'lognormal':
        return l.medianMs * Math.exp((Math.log(l.p99Ms / l.medianMs) / Z99) * this.rng.normal());
      case 'bimodal': {
        const base = this.rng.next() < l.slowShare ? l.slowMs : l.fastMs;
        const j = l.jitter ?? 0;
        return j === 0 ? base : base * (1 - j + 2 * j * this.rng.next());
      }
    }
  }
}
