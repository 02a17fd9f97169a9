import { COLD_START_RTT_MS, PeakEwmaBalancer } from '../../../src/proxy/balancer';
import type { Endpoint, Outcome } from '../../../src/proxy/balancer';
import { endpoint, endpoints, fakeClock, mulberry32, scripted } from './helpers';
import type { FakeClock } from './helpers';

/** Picks every 10 ms (of fake time) until `target` is picked; the other picks are answered by `answer`. */
function msUntilPicked(
  balancer: { pick(list: readonly Endpoint[], ctx: object): Endpoint | undefined },
  clock: FakeClock,
  list: readonly Endpoint[],
  target: Endpoint,
  answer: () => void,
): number | undefined {
  for (let t = 0; t < 120_000; t += 10) {
    const e = balancer.pick(list, {});
    clock.advance(10);
    if (e === target) return t;
    answer();
  }
  return undefined;
}

const DEFAULTS = { decayMs: 10_000, failurePenaltyMs: 1_000 };

function setup(options: Partial<ConstructorParameters<typeof PeakEwmaBalancer>[0]> = {}, seed = 1) {
  const clock = fakeClock();
  const balancer = new PeakEwmaBalancer({ ...DEFAULTS, ...options }, { random: mulberry32(seed), now: clock.now });
  return { clock, balancer };
}

/** Sends `count` requests one at a time, each answered as `respond` says, `stepMs` apart; returns the share per name. */
function drive(
  balancer: PeakEwmaBalancer,
  clock: FakeClock,
  list: Endpoint[],
  count: number,
  respond: (e: Endpoint) => Outcome,
  stepMs = 1,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const e = balancer.pick(list, {})!;
    counts[e.address] = (counts[e.address] ?? 0) + 1;
    clock.advance(stepMs);
    balancer.onResult(e, respond(e));
  }
  for (const k of Object.keys(counts)) counts[k] /= count;
  return counts;
}

const ok = (latencyMs: number): Outcome => ({ ok: true, status: 200, latencyMs });

describe('PeakEwmaBalancer', () => {
  test('moves traffic away from a slow endpoint', () => {
    const { clock, balancer } = setup();
    const list = endpoints(2);
    balancer.onEndpointsChanged(list);
    const s = drive(balancer, clock, list, 10_000, (e) => ok(e.address === 'a' ? 1 : 20));
    expect(s.b ?? 0).toBeLessThan(0.1);
    expect(balancer.describe(list[1]).ewmaMs).toBeGreaterThan(1);
  });

  test('with three endpoints the slow one gets less than a tenth', () => {
    const { clock, balancer } = setup({}, 2);
    const list = endpoints(3);
    balancer.onEndpointsChanged(list);
    const s = drive(balancer, clock, list, 30_000, (e) => ok(e.address === 'c' ? 20 : 1));
    expect(s.c ?? 0).toBeLessThan(0.1);
    expect(Math.abs(s.a - s.b)).toBeLessThan(0.1);
  });

  test('moves traffic away from an endpoint that fails fast (500 in 1 ms)', () => {
    const { clock, balancer } = setup();
    const list = endpoints(2);
    balancer.onEndpointsChanged(list);
    const s = drive(balancer, clock, list, 10_000, (e) =>
      e.address === 'a' ? ok(5) : { ok: false, status: 500, latencyMs: 1 },
    );
    expect(s.b ?? 0).toBeLessThan(0.05);
    balancer.onResult(list[1], { ok: false, status: 500, latencyMs: 1 });
    expect(balancer.describe(list[1]).penaltyMs).toBe(1_000);
    expect(balancer.describe(list[1]).ewmaMs).toBe(1);
  });

  test('forgets a failure penalty ten times faster than latency, so a recovered endpoint is not starved', () => {
    const { clock, balancer } = setup();
    const list = endpoints(2);
    const [a, b] = list;
    balancer.onResult(a, ok(10));
    balancer.onResult(b, { ok: false, status: 500, latencyMs: 1 });
    expect(balancer.pick(list, {})).toBe(a);
    // b is healthy again but gets nothing; its penalty ages with decay / 10 = 1 s: 1000 × e^(-t/1 s) < 10 after 4.6 s.
    const probedAfterMs = msUntilPicked(balancer, clock, list, b, () => balancer.onResult(a, ok(10)));
    expect(probedAfterMs).toBeGreaterThan(4_000);
    expect(probedAfterMs).toBeLessThan(5_000);
    // Had the penalty gone into the latency average (as before), it would have taken 10 s × ln(100) ≈ 46 s.
  });

  test('a failure renews the penalty: a backend that keeps failing fast stays expensive', () => {
    const { clock, balancer } = setup();
    const [a] = endpoints(1);
    balancer.onResult(a, { ok: false, status: 500, latencyMs: 1 });
    clock.advance(3_000);
    expect(balancer.describe(a).penaltyMs).toBeCloseTo(1_000 * Math.exp(-3), 6);
    balancer.onResult(a, { ok: false, status: 500, latencyMs: 1 });
    expect(balancer.describe(a).penaltyMs).toBe(1_000);
  });

  test('is peak-sensitive: a slow sample is felt at once, recovery is gradual', () => {
    const { clock, balancer } = setup();
    const [a] = endpoints(1);
    balancer.onResult(a, ok(10));
    clock.advance(100);
    balancer.onResult(a, ok(100));
    expect(balancer.describe(a).ewmaMs).toBe(100);
    clock.advance(1_000);
    balancer.onResult(a, ok(10));
    const w = Math.exp(-1_000 / 10_000);
    expect(balancer.describe(a).ewmaMs).toBeCloseTo(100 * w + 10 * (1 - w), 9);
  });

  test('weighs in-flight: a fast endpoint with a queue loses to a slower idle one', () => {
    const { balancer } = setup();
    const [fast, slow] = [endpoint('fast', { inFlight: 9 }), endpoint('slow')];
    balancer.onResult(fast, ok(2)); // cost 2 × 10 = 20
    balancer.onResult(slow, ok(5)); // cost 5 × 1 = 5
    for (let i = 0; i < 20; i++) expect(balancer.pick([fast, slow], {})).toBe(slow);
  });

  test('divides the cost by weight: at equal latency in-flight settles at the weight ratio', () => {
    const { balancer } = setup();
    const [heavy, light] = [endpoint('heavy', { weight: 3 }), endpoint('light')];
    balancer.onResult(heavy, ok(5));
    balancer.onResult(light, ok(5));
    for (let i = 0; i < 400; i++) balancer.pick([heavy, light], {})!.inFlight++;
    expect(heavy.inFlight).toBeGreaterThanOrEqual(299);
    expect(heavy.inFlight).toBeLessThanOrEqual(301);
  });

  test.each([
    { peers: [10, 20, 30], seed: 20 },
    { peers: [10, 20, 30, 40], seed: 25 },
    { peers: [], seed: COLD_START_RTT_MS },
  ])("seeds a new endpoint with the median of its peers' averages ($peers -> $seed)", ({ peers, seed }) => {
    const { balancer } = setup();
    const list = endpoints(peers.length);
    balancer.onEndpointsChanged(list);
    list.forEach((e, i) => balancer.onResult(e, ok(peers[i])));
    const fresh = endpoint('new');
    balancer.onEndpointsChanged([...list, fresh]);
    expect(balancer.describe(fresh)).toMatchObject({ ewmaMs: seed, samples: 0 });
  });

  test('seeds a new endpoint with defaultRttMs when configured', () => {
    const { balancer } = setup({ defaultRttMs: 42 });
    const [a, fresh] = endpoints(2);
    balancer.onResult(a, ok(5));
    expect(balancer.pick([fresh, a], {})).toBe(a); // fresh is seeded at 42 ms
    expect(balancer.describe(fresh).ewmaMs).toBe(42);
  });

  test('replaces the seed with the first real sample', () => {
    const { clock, balancer } = setup({ defaultRttMs: 500 });
    const [a] = endpoints(1);
    balancer.onEndpointsChanged([a]);
    clock.advance(1);
    balancer.onResult(a, ok(3));
    expect(balancer.describe(a).ewmaMs).toBe(3);
  });

  test('an endpoint it was never told about is seeded on first sight', () => {
    const { balancer } = setup();
    const [a, b, c] = endpoints(3);
    balancer.onResult(a, ok(4));
    balancer.onResult(b, ok(8));
    expect(balancer.pick([c, a], {})).toBe(a); // c is seeded with the median (6 ms) and loses to a
    expect(balancer.describe(c).ewmaMs).toBe(6);
  });

  test('decay lets a once-slow, idle endpoint be probed again', () => {
    const { clock, balancer } = setup();
    const list = endpoints(2);
    const [a, b] = list;
    balancer.onResult(a, ok(1));
    balancer.onResult(b, ok(200));
    expect(balancer.pick(list, {})).toBe(a);
    // a keeps serving at 1 ms; b gets nothing, and its 200 ms estimate ages towards zero.
    const probedAfterMs = msUntilPicked(balancer, clock, list, b, () => balancer.onResult(a, ok(1)));
    // 200 × e^(-t/10 s) < 1 once t > 10 s × ln(200) ≈ 53 s
    expect(probedAfterMs).toBeGreaterThan(50_000);
    expect(probedAfterMs).toBeLessThan(56_000);
  });

  test('samples two distinct endpoints even when the generator repeats itself', () => {
    const clock = fakeClock();
    const balancer = new PeakEwmaBalancer(DEFAULTS, { random: scripted([0]), now: clock.now });
    const [slow, fast] = endpoints(2);
    balancer.onResult(slow, ok(50));
    balancer.onResult(fast, ok(5));
    for (let i = 0; i < 10; i++) expect(balancer.pick([slow, fast], {})).toBe(fast);
  });

  test('forgets endpoints that leave the set', () => {
    const { balancer } = setup();
    const [a, b] = endpoints(2);
    balancer.onResult(a, ok(5));
    balancer.onEndpointsChanged([b]);
    expect(balancer.describe(a)).toEqual({ ewmaMs: undefined, samples: 0 });
  });

  test('returns undefined for no endpoints', () => {
    expect(setup().balancer.pick([], {})).toBeUndefined();
  });
});
