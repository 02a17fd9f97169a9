/**
 * Picks per second for every balancing algorithm, with 3 and 100 endpoints. Not a test; numbers only.
 *
 *   npx esbuild bench/balancer.ts --bundle --platform=node --outfile=/tmp/bench-balancer.js && node /tmp/bench-balancer.js
 *
 * Each case runs pick() in a tight loop over a fixed eligible list (the steady state), with a result fed back every
 * pick so stateful algorithms do their update too ("pick+result"). The "churn" column alternates the full list with
 * the list minus one endpoint, as retries and ejections do, which defeats the per-list caches.
 */
import { performance } from 'node:perf_hooks';
import { AlgorithmSchema, ALGORITHM_KINDS } from '../src/config/algorithm';
import type { AlgorithmInput } from '../src/config/algorithm';
import { createBalancer } from '../src/proxy/balancer';
import type { Balancer, Endpoint } from '../src/proxy/balancer';

const DURATION_MS = Number(process.env.BENCH_MS ?? 400);
const KEYS = Array.from({ length: 1024 }, (_, i) => `user-${i * 7919}`);

function config(kind: string): AlgorithmInput {
  if (kind === 'consistent-hash') return { kind, key: { source: 'header', name: 'x-user' } };
  if (kind === 'weighted-round-robin') return { kind, subsetWeights: { canary: 2 } };
  return { kind } as AlgorithmInput;
}

function makeEndpoints(n: number): Endpoint[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `10.0.${i >> 8}.${i & 255}:8080`,
    address: `10.0.${i >> 8}.${i & 255}`,
    port: 8080,
    weight: 1 + (i % 3),
    subset: i % 10 === 0 ? 'canary' : 'stable',
    inFlight: i % 5,
  }));
}

function run(balancer: Balancer, lists: Endpoint[][], withResult: boolean): number {
  let picks = 0;
  let sink = 0;
  const start = performance.now();
  let now = start;
  while (now - start < DURATION_MS) {
    for (let i = 0; i < 10_000; i++) {
      const list = lists[i & (lists.length - 1)];
      const e = balancer.pick(list, { hashKey: KEYS[i & 1023] })!;
      sink += e.port;
      if (withResult) balancer.onResult(e, { ok: true, status: 200, latencyMs: 1 + (i & 7), loadReport: (i & 15) / 16 });
    }
    picks += 10_000;
    now = performance.now();
  }
  if (sink === 0) throw new Error('unreachable');
  return (picks / (now - start)) * 1000;
}

function fmt(perSecond: number): string {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(1)}M` : `${(perSecond / 1e3).toFixed(0)}k`;
}

const rows: string[][] = [['algorithm', 'n', 'pick', 'pick+result', 'churn']];
for (const kind of ALGORITHM_KINDS) {
  for (const n of [3, 100]) {
    const all = makeEndpoints(n);
    const make = () => {
      const b = createBalancer(AlgorithmSchema.parse(config(kind)), { random: Math.random, now: () => performance.now() });
      b.onEndpointsChanged(all);
      return b;
    };
    const churn = [all, all.slice(1)];
    run(make(), [all], true); // warm up
    rows.push([kind, String(n), fmt(run(make(), [all], false)), fmt(run(make(), [all], true)), fmt(run(make(), churn, true))]);
  }
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c])).join('  '));
