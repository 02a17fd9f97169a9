/**
 * `simulate(algorithm, scenario)`: one run in virtual time, and its figures.
 *
 * The scenario's backends are modelled (backend.ts); each proxy replica runs the proxy's real decision core
 * (replica.ts). Load comes open-loop (a rate, Poisson or constant) or closed-loop (N clients), spread evenly over the
 * replicas. Everything random is drawn from streams seeded by the scenario's seed, so the same inputs give the same
 * figures, byte for byte, on any machine (no wall clock, no Math.random, no iteration over unordered state).
 */
import { createBalancer } from '../proxy/balancer';
import type { Balancer } from '../proxy/balancer/types';
import { resolveAlgorithm, ResolvedAlgorithm, SimAlgorithm, SimProxySettings } from './algorithms';
import { SimBackend } from './backend';
import { EventQueue } from './clock';
import { Recorder, SimulationResult } from './figures';
import { HaproxyLeastConnModel, JsqOracle, NginxLeastConnModel } from './models';
import { Rng } from './random';
import { SimReplica, SimRequest } from './replica';
import { checkScenario, Scenario } from './scenario';

export interface SimulateOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Proxy settings besides the algorithm (retries, outlier detection, limits...); the config defaults otherwise. */
  readonly proxy?: SimProxySettings;
  /** Also run the JSQ oracle on the same scenario and seed, for `oracle` and `p99OverOracle`. Default true. */
  readonly oracle?: boolean;
  /** The name in the report. Default: the algorithm's kind. */
  readonly label?: string;
  /** Called now and then with the share of virtual time done, in [0, 1]. */
  readonly onProgress?: (done: number) => void;
}

/** Distinct user keys for consistent hashing. */
const HASH_KEYS = 1000;
/** After the end, in-flight requests get this long to finish before the run stops. */
const DRAIN_MS = 60_000;

/** Runs `algorithm` through `scenario` and returns the figures (see {@link SimulationResult}). */
export function simulate(algorithm: SimAlgorithm, scenario: Scenario, options: SimulateOptions = {}): SimulationResult {
  checkScenario(scenario);
  const resolved = resolveAlgorithm(algorithm, options.proxy, options.label);
  const seed = options.seed ?? scenario.seed ?? 1;
  const result = run(resolved, scenario, seed, options.onProgress);
  if (options.oracle === false || resolved.model === 'jsq') return result;
  const oracle = oracleFor(scenario, seed, options.proxy);
  return { ...result, oracle, p99OverOracle: oracle.p99 > 0 ? Math.round((result.latencyMs.p99 / oracle.p99) * 1000) / 1000 : undefined };
}

const oracleCache = new WeakMap<Scenario, Map<string, SimulationResult['latencyMs']>>();

function oracleFor(scenario: Scenario, seed: number, proxy: SimProxySettings | undefined): SimulationResult['latencyMs'] {
  let bySeed = oracleCache.get(scenario);
  if (!bySeed) oracleCache.set(scenario, (bySeed = new Map()));
  const key = `${seed}:${JSON.stringify(proxy ?? {})}`;
  let figures = bySeed.get(key);
  if (!figures) {
    figures = run(resolveAlgorithm('jsq', proxy), scenario, seed, undefined).latencyMs;
    bySeed.set(key, figures);
  }
  return figures;
}

function run(alg: ResolvedAlgorithm, scenario: Scenario, seed: number, onProgress?: (done: number) => void): SimulationResult {
  const clock = new EventQueue();
  const recorder = new Recorder(scenario);
  const config = alg.config;
  const requestMs = config.timeouts.requestMs;
  const backends = scenario.backends.map((b) => new SimBackend(b, clock, seed, scenario.networkMs ?? 0, requestMs, scenario.network));
  const proxies = scenario.proxies ?? 1;
  const replicas: SimReplica[] = [];
  const global = {
    outstanding: (ep: { id: string }) => replicas.reduce((sum, r) => sum + (r.set.get(ep.id)?.inFlight ?? 0), 0),
    capacity: (ep: { id: string }) => backends[replicas[0].backendIndex(ep as never)].spec.capacity ?? 1,
  };
  for (let p = 0; p < proxies; p++) {
    const rng = new Rng(seed, `proxy:${p}`);
    const deps = { random: () => rng.next(), now: () => clock.now };
    const balancer: Balancer =
      alg.model === 'nginx-least-conn'
        ? new NginxLeastConnModel(deps.now)
        : alg.model === 'haproxy-leastconn'
          ? new HaproxyLeastConnModel()
          : alg.model === 'jsq'
            ? new JsqOracle(global, deps.random)
            : createBalancer(config.algorithm, deps);
    replicas.push(
      new SimReplica(config, balancer, clock, backends, {
        onTry: (b) => recorder.tryAt(clock.now, b),
      }),
    );
  }
  scheduleMembership(scenario, clock, replicas);
  const members = membership(scenario);
  const load = new Rng(seed, 'load');
  const hashed = config.algorithm.kind === 'consistent-hash' && alg.model === undefined;
  const hashKey = () => (hashed ? `u${Math.floor(load.next() * HASH_KEYS)}` : undefined);
  const end = scenario.durationMs;
  const send = (replica: SimReplica, after?: () => void) => {
    const arrived = clock.now;
    const req: SimRequest = {
      arrived,
      hashKey: hashKey(),
      attempts: 0,
      finish: (status) => {
        recorder.request(arrived, clock.now, status);
        after?.();
      },
    };
    replica.handle(req);
  };
  if (scenario.load.kind === 'open') {
    const meanGap = 1000 / scenario.load.ratePerSec;
    const poisson = (scenario.load.arrivals ?? 'poisson') === 'poisson';
    let k = 0;
    const arrive = () => {
      if (clock.now >= end) return;
      send(replicas[k++ % proxies]);
      clock.at(clock.now + (poisson ? load.exponential(meanGap) : meanGap), arrive);
    };
    clock.at(poisson ? load.exponential(meanGap) : 0, arrive);
  } else {
    const { clients, thinkMs = 0 } = scenario.load;
    for (let c = 0; c < clients; c++) {
      const replica = replicas[c % proxies];
      const loop = () => {
        if (clock.now < end) send(replica, () => clock.at(clock.now + thinkMs, loop));
      };
      clock.at(0, loop);
    }
  }
  const sample = () => {
    recorder.sampleInFlight(
      clock.now,
      backends.map((_b, i) => replicas.reduce((sum, r) => sum + (r.set.get(r.idOf(i))?.inFlight ?? 0), 0)),
    );
    if (clock.now + recorder.sampleEveryMs < end) clock.at(clock.now + recorder.sampleEveryMs, sample);
  };
  clock.at(recorder.sampleEveryMs / 2, sample);
  const slices = 20;
  for (let s = 1; s <= slices; s++) {
    clock.run((end * s) / slices);
    onProgress?.(s / slices);
  }
  clock.run(end + DRAIN_MS);
  return recorder.result(alg.label, seed, members);
}

/** Joins and leaves, applied to every replica's endpoint set at the same instant (discovery with no lag). */
function scheduleMembership(scenario: Scenario, clock: EventQueue, replicas: readonly SimReplica[]): void {
  scenario.backends.forEach((b, i) => {
    const join = b.joinAtMs ?? 0;
    if (join === 0) for (const r of replicas) r.join(i);
    else clock.at(join, () => replicas.forEach((r) => r.join(i)));
    if (b.leaveAtMs !== undefined) clock.at(b.leaveAtMs, () => replicas.forEach((r) => r.leave(i)));
  });
}

/** How many backends are in the endpoint set at a given time. */
function membership(scenario: Scenario): (ms: number) => number {
  return (ms) => scenario.backends.filter((b) => (b.joinAtMs ?? 0) <= ms && (b.leaveAtMs === undefined || b.leaveAtMs > ms)).length;
}
