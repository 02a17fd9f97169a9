/**
 * Several algorithms through one scenario, and the Markdown report of it: a table of the figures, the watched
 * backends, and the share per backend over time. The same inputs give the same bytes (numbers are printed with fixed
 * digits, nothing depends on the wall clock), so a report can be committed and diffed.
 */
import type { SimAlgorithm } from './algorithms';
import type { SimulationResult } from './figures';
import type { Scenario } from './scenario';
import { simulate, SimulateOptions } from './simulate';

export interface Report {
  readonly scenario: Scenario;
  readonly seed: number;
  /** One per algorithm, in the order given, then the JSQ oracle. */
  readonly results: readonly SimulationResult[];
}

export interface CompareOptions extends Omit<SimulateOptions, 'label' | 'onProgress' | 'oracle'> {
  /** Called after each algorithm with its label and the count done so far. */
  readonly onProgress?: (label: string, done: number, total: number) => void;
}

/** Runs each algorithm, and the JSQ oracle, through `scenario` with the same seed. */
export function compare(algorithms: readonly SimAlgorithm[], scenario: Scenario, options: CompareOptions = {}): Report {
  const seed = options.seed ?? scenario.seed ?? 1;
  const all: SimAlgorithm[] = [...algorithms, 'jsq'];
  const results = all.map((a, i) => {
    const r = simulate(a, scenario, { seed, proxy: options.proxy });
    options.onProgress?.(r.algorithm, i + 1, all.length);
    return r;
  });
  return { scenario, seed, results };
}

/** Image files to link from the report, by plot name (see plots.ts). */
export type PlotLinks = Readonly<Partial<Record<'cdf' | 'share' | 'inflight', string>>>;

const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const ms = (x: number | null) => (x === null ? 'never' : `${(x / 1000).toFixed(1)} s`);

export function toMarkdown(report: Report, plots: PlotLinks = {}): string {
  const s = report.scenario;
  const out: string[] = [];
  out.push(`# Simulation: ${s.name}`, '', s.description, '');
  out.push(
    `Seed ${report.seed}; ${(s.durationMs / 1000).toFixed(0)} s of virtual time; latency figures leave out the first ${((s.warmupMs ?? 0) / 1000).toFixed(1)} s. ` +
      'Backends are modelled; each proxy replica runs the real balancer, eligibility (panic), outlier detection and retry budget. ' +
      '`nginx-least-conn` and `haproxy-leastconn` are models of those pick rules; `jsq` is an oracle with global knowledge.',
    '',
  );
  out.push('| algorithm | p50 ms | p99 ms | p99.9 ms | p99 / JSQ | errors | tries per request | ' + s.backends.map((b) => `share ${b.name}`).join(' | ') + ' |');
  out.push('|---|---:|---:|---:|---:|---:|---:|' + s.backends.map(() => '---:|').join(''));
  const oracle = report.results.find((r) => r.algorithm === 'jsq');
  for (const r of report.results) {
    const gap = oracle && oracle.latencyMs.p99 > 0 ? f2(r.latencyMs.p99 / oracle.latencyMs.p99) : '';
    out.push(
      `| ${r.algorithm} | ${f2(r.latencyMs.p50)} | ${f2(r.latencyMs.p99)} | ${f2(r.latencyMs.p999)} | ${gap} | ${pct(r.errorRate)} | ${r.retryAmplification.toFixed(3)} | ` +
        r.backends.map((b) => pct(b.share)).join(' | ') +
        ' |',
    );
  }
  out.push('');
  if ((s.watch ?? []).length > 0) {
    out.push('## Watched backends', '');
    out.push('Time to shift away: until its share of tries, over a sliding window of one bucket, drops below 5%. Time to recover: until it is within ±10% of its fair share for three windows in a row. Peak / fair: its largest share in the 5 s after the recovery point, over its fair share (above 1 is a burst).', '');
    out.push('| algorithm | backend | shift away | recover | peak / fair |');
    out.push('|---|---|---:|---:|---:|');
    const specs = s.watch ?? [];
    for (const r of report.results) {
      r.watch.forEach((w, i) => {
        const shift = specs[i]?.shiftFromMs === undefined ? '' : ms(w.shiftMs);
        const recover = specs[i]?.recoverFromMs === undefined ? '' : ms(w.recoverMs);
        out.push(`| ${r.algorithm} | ${w.backend} | ${shift} | ${recover} | ${w.peakOverFair === null ? '' : f2(w.peakOverFair)} |`);
      });
    }
    out.push('');
  }
  const links: [keyof PlotLinks, string][] = [
    ['cdf', 'Latency CDF per algorithm'],
    ['share', 'Share of tries per backend over time'],
    ['inflight', 'In-flight per backend over time'],
  ];
  for (const [key, title] of links) {
    const file = plots[key];
    if (file !== undefined) out.push(`## ${title}`, '', `![${title}](${file})`, '');
  }
  out.push('## Share of tries per backend over time', '');
  const bucketS = (s.bucketMs ?? 1000) / 1000;
  out.push(`One row per ${f1(bucketS * Math.max(1, Math.round(5 / bucketS)))} s; one column per algorithm and backend.`, '');
  const every = Math.max(1, Math.round(5 / bucketS));
  const header = report.results.flatMap((r) => s.backends.map((b) => `${r.algorithm} ${b.name}`));
  out.push(`| t (s) | ${header.join(' | ')} |`, `|---:|${header.map(() => '---:|').join('')}`);
  const buckets = report.results[0]?.buckets ?? [];
  for (let i = 0; i < buckets.length; i += every) {
    const cells = report.results.flatMap((r) => r.buckets[i].shares.map((x) => (x * 100).toFixed(1)));
    out.push(`| ${f1(buckets[i].startMs / 1000)} | ${cells.join(' | ')} |`);
  }
  out.push('');
  return out.join('\n');
}
