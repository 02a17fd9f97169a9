/**
 * What a run measured, and the figures computed from it: latency percentiles, error rate, retry amplification, the
 * share of tries per backend over time, the in-flight per backend, and for each watched backend the time to shift
 * away (share < 5%) and the time to recover (share within ±10% of fair, held for three windows in a row).
 */
import type { Scenario, Watch } from './scenario';

export interface LatencyFigures {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly mean: number;
  readonly max: number;
}

export interface BackendFigures {
  readonly name: string;
  /** Tries sent to it during the measured window. */
  readonly tries: number;
  /** Its share of all tries in the measured window, in [0, 1]. */
  readonly share: number;
}

export interface Bucket {
  readonly startMs: number;
  /** Share of the bucket's tries per backend, in the scenario's backend order. */
  readonly shares: readonly number[];
  /** Mean in-flight per backend over the bucket, summed over the proxy replicas. */
  readonly inFlight: readonly number[];
}

export interface WatchFigures {
  readonly backend: string;
  /** Ms from `shiftFromMs` until its share stayed under 5%; null when it never did (or nothing to watch). */
  readonly shiftMs: number | null;
  /** Ms from `recoverFromMs` until its share was within ±10% of fair; null when it never was. */
  readonly recoverMs: number | null;
  /** The largest share it had in the 5 s after `recoverFromMs`, over its fair share (1 = no burst); null if unwatched. */
  readonly peakOverFair: number | null;
  readonly fairShare: number | null;
}

export interface SimulationResult {
  readonly algorithm: string;
  readonly scenario: string;
  readonly seed: number;
  /** Requests that arrived in the measured window (after warm-up, before the end). */
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly latencyMs: LatencyFigures;
  /** Tries per request: 1 means no retries. */
  readonly retryAmplification: number;
  readonly backends: readonly BackendFigures[];
  readonly buckets: readonly Bucket[];
  readonly watch: readonly WatchFigures[];
  /** Latency quantiles for a CDF plot: [ms, quantile] pairs. */
  readonly cdf: readonly (readonly [number, number])[];
  /** The JSQ oracle's latency in the same scenario and seed, when it was run. */
  readonly oracle?: LatencyFigures;
  /** p99 / the oracle's p99 (1 = as good as global knowledge); absent without an oracle run. */
  readonly p99OverOracle?: number;
}

/** Fine steps of the share series: windows of one bucket slide by a tenth of it. */
const STEPS_PER_BUCKET = 10;
const SHIFT_SHARE = 0.05;
const RECOVER_TOLERANCE = 0.1;
const RECOVER_HOLD = 3;
const BURST_WINDOW_MS = 5_000;

export class Recorder {
  private readonly latencies: number[] = [];
  private errors = 0;
  private measuredTries = 0;
  private readonly fine: Float64Array; // tries per fine step per backend
  private readonly inflightSum: Float64Array;
  private readonly inflightSamples: Float64Array;
  private readonly stepMs: number;
  private readonly steps: number;
  private readonly n: number;
  private readonly warmupMs: number;

  public constructor(private readonly scenario: Scenario) {
    this.n = scenario.backends.length;
    this.stepMs = (scenario.bucketMs ?? 1000) / STEPS_PER_BUCKET;
    this.steps = Math.ceil(scenario.durationMs / this.stepMs);
    this.fine = new Float64Array(this.steps * this.n);
    const buckets = Math.ceil(this.steps / STEPS_PER_BUCKET);
    this.inflightSum = new Float64Array(buckets * this.n);
    this.inflightSamples = new Float64Array(buckets);
    this.warmupMs = scenario.warmupMs ?? 0;
  }

  public get sampleEveryMs(): number {
    return this.stepMs;
  }

  public measured(arrived: number): boolean {
    return arrived >= this.warmupMs && arrived < this.scenario.durationMs;
  }

  public tryAt(now: number, backend: number): void {
    const step = Math.floor(now / this.stepMs);
    if (step < this.steps) this.fine[step * this.n + backend]++;
    if (this.measured(now)) this.measuredTries++;
  }

  public request(arrived: number, now: number, status: number): void {
    if (!this.measured(arrived)) return;
    this.latencies.push(now - arrived);
    if (status >= 500) this.errors++;
  }

  public sampleInFlight(now: number, inFlight: readonly number[]): void {
    const b = Math.floor(now / (this.stepMs * STEPS_PER_BUCKET));
    if (b >= this.inflightSamples.length) return;
    this.inflightSamples[b]++;
    for (let i = 0; i < this.n; i++) this.inflightSum[b * this.n + i] += inFlight[i];
  }

  public result(algorithm: string, seed: number, membersAt: (ms: number) => number): SimulationResult {
    const lat = Float64Array.from(this.latencies).sort();
    const requests = lat.length;
    const latencyMs = percentiles(lat);
    const backends = this.scenario.backends.map((b, i) => {
      let tries = 0;
      const from = Math.floor(this.warmupMs / this.stepMs);
      for (let s = from; s < this.steps; s++) tries += this.fine[s * this.n + i];
      return { name: b.name, tries, share: 0 };
    });
    const total = backends.reduce((a, b) => a + b.tries, 0);
    const shared = backends.map((b) => ({ ...b, share: total > 0 ? b.tries / total : 0 }));
    const cdf: [number, number][] = [];
    for (let k = 0; k <= 200 && requests > 0; k++) {
      const q = k < 190 ? k / 200 : 0.95 + ((k - 190) / 10) * 0.0499;
      cdf.push([round(lat[Math.min(requests - 1, Math.floor(q * requests))]), q]);
    }
    return {
      algorithm,
      scenario: this.scenario.name,
      seed,
      requests,
      errors: this.errors,
      errorRate: requests > 0 ? this.errors / requests : 0,
      latencyMs,
      retryAmplification: requests > 0 ? this.measuredTries / requests : 1,
      backends: shared,
      buckets: this.buckets(),
      watch: (this.scenario.watch ?? []).map((w) => this.watchFigures(w, membersAt)),
      cdf,
    };
  }

  private buckets(): Bucket[] {
    const out: Bucket[] = [];
    const bucketMs = this.stepMs * STEPS_PER_BUCKET;
    for (let b = 0; b * STEPS_PER_BUCKET < this.steps; b++) {
      const shares = this.windowShares(b * STEPS_PER_BUCKET).map(round4);
      const samples = this.inflightSamples[b] || 1;
      const inFlight = this.scenario.backends.map((_x, i) => round(this.inflightSum[b * this.n + i] / samples));
      out.push({ startMs: b * bucketMs, shares, inFlight });
    }
    return out;
  }

  /** Shares per backend over one bucket-wide window starting at fine step `from`. */
  private windowShares(from: number): number[] {
    const counts = new Array<number>(this.n).fill(0);
    const to = Math.min(this.steps, from + STEPS_PER_BUCKET);
    for (let s = from; s < to; s++) for (let i = 0; i < this.n; i++) counts[i] += this.fine[s * this.n + i];
    const total = counts.reduce((a, b) => a + b, 0);
    return counts.map((c) => (total > 0 ? c / total : 0));
  }

  private watchFigures(w: Watch, membersAt: (ms: number) => number): WatchFigures {
    const i = this.scenario.backends.findIndex((b) => b.name === w.backend);
    const windowEndMs = (from: number) => (from + STEPS_PER_BUCKET) * this.stepMs;
    const lastStart = this.steps - STEPS_PER_BUCKET;
    let shiftMs: number | null = null;
    if (w.shiftFromMs !== undefined) {
      for (let s = Math.ceil(w.shiftFromMs / this.stepMs); s <= lastStart; s++) {
        if (this.windowShares(s)[i] < SHIFT_SHARE) {
          shiftMs = round(windowEndMs(s) - w.shiftFromMs);
          break;
        }
      }
    }
    let recoverMs: number | null = null;
    let peakOverFair: number | null = null;
    let fairShare: number | null = null;
    if (w.recoverFromMs !== undefined) {
      const fair = w.fairShare ?? 1 / Math.max(1, membersAt(w.recoverFromMs + 1));
      fairShare = round4(fair);
      const first = Math.ceil(w.recoverFromMs / this.stepMs);
      const within = (s: number) => Math.abs(this.windowShares(s)[i] - fair) <= RECOVER_TOLERANCE * fair;
      for (let s = first; s + (RECOVER_HOLD - 1) * STEPS_PER_BUCKET <= lastStart; s++) {
        let held = true;
        for (let k = 0; k < RECOVER_HOLD && held; k++) held = within(s + k * STEPS_PER_BUCKET);
        if (held) {
          recoverMs = round(windowEndMs(s) - w.recoverFromMs);
          break;
        }
      }
      let peak = 0;
      const burstEnd = Math.min(lastStart, first + Math.floor(BURST_WINDOW_MS / this.stepMs));
      for (let s = first; s <= burstEnd; s++) peak = Math.max(peak, this.windowShares(s)[i]);
      peakOverFair = round4(peak / fair);
    }
    return { backend: w.backend, shiftMs, recoverMs, peakOverFair, fairShare };
  }
}

export function percentiles(sorted: Float64Array): LatencyFigures {
  const n = sorted.length;
  if (n === 0) return { p50: 0, p99: 0, p999: 0, mean: 0, max: 0 };
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
  let sum = 0;
  for (let k = 0; k < n; k++) sum += sorted[k];
  return { p50: round(at(0.5)), p99: round(at(0.99)), p999: round(at(0.999)), mean: round(sum / n), max: round(sorted[n - 1]) };
}

/** Rounds to 1 µs, so reports print the same digits on every machine. */
export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
