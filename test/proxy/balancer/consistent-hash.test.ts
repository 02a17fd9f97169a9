import { ConsistentHashBalancer } from '../../../src/proxy/balancer';
import type { Endpoint } from '../../../src/proxy/balancer';
import { deps, endpoint, endpoints, mulberry32 } from './helpers';

function ring(options: { loadFactor?: number; virtualNodes?: number; maxRingPoints?: number } = {}, seed = 1) {
  return new ConsistentHashBalancer(
    {
      loadFactor: options.loadFactor ?? 1.25,
      virtualNodes: options.virtualNodes ?? 100,
      maxRingPoints: options.maxRingPoints,
    },
    deps(mulberry32(seed)),
  );
}

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

function assignment(balancer: ConsistentHashBalancer, list: Endpoint[]): Map<string, Endpoint> {
  return new Map(KEYS.map((k) => [k, balancer.pick(list, { hashKey: k })!]));
}

function moved(before: Map<string, Endpoint>, after: Map<string, Endpoint>): string[] {
  return KEYS.filter((k) => before.get(k) !== after.get(k));
}

describe('ConsistentHashBalancer', () => {
  test('sends the same key to the same endpoint', () => {
    const ch = ring();
    const list = endpoints(10);
    ch.onEndpointsChanged(list);
    for (const key of KEYS.slice(0, 200)) {
      const first = ch.pick(list, { hashKey: key });
      for (let i = 0; i < 5; i++) expect(ch.pick(list, { hashKey: key })).toBe(first);
    }
  });

  test('builds the same ring whatever the order of the endpoint list (every proxy agrees)', () => {
    const list = endpoints(10);
    const one = ring();
    const other = ring({}, 99);
    one.onEndpointsChanged(list);
    const shuffled = [...list].reverse();
    other.onEndpointsChanged(shuffled);
    const a = assignment(one, list);
    const b = assignment(other, shuffled);
    expect(moved(a, b)).toEqual([]);
  });

  test('spreads keys evenly: each of 10 endpoints owns 6% to 14% of 10k keys', () => {
    const ch = ring();
    const list = endpoints(10);
    ch.onEndpointsChanged(list);
    const counts = new Map<Endpoint, number>();
    for (const e of assignment(ch, list).values()) counts.set(e, (counts.get(e) ?? 0) + 1);
    for (const e of list) {
      expect(counts.get(e)! / KEYS.length).toBeGreaterThan(0.06);
      expect(counts.get(e)! / KEYS.length).toBeLessThan(0.14);
    }
  });

  test('adding one endpoint to ten remaps about 1/11 of the keys, all to the new one', () => {
    const ch = ring();
    const list = endpoints(11);
    ch.onEndpointsChanged(list.slice(0, 10));
    const before = assignment(ch, list.slice(0, 10));
    ch.onEndpointsChanged(list);
    const after = assignment(ch, list);
    const remapped = moved(before, after);
    expect(remapped.length / KEYS.length).toBeGreaterThan(0.05);
    expect(remapped.length / KEYS.length).toBeLessThan(0.15);
    for (const k of remapped) expect(after.get(k)).toBe(list[10]);
  });

  test('removing one endpoint remaps only its own keys', () => {
    const ch = ring();
    const list = endpoints(10);
    ch.onEndpointsChanged(list);
    const before = assignment(ch, list);
    const gone = list[3];
    const rest = list.filter((e) => e !== gone);
    ch.onEndpointsChanged(rest);
    const after = assignment(ch, rest);
    const owned = KEYS.filter((k) => before.get(k) === gone);
    expect(moved(before, after).sort()).toEqual(owned.sort());
  });

  test('an ejected endpoint (not in the eligible list) loses only its own keys, without a rebuild', () => {
    const ch = ring();
    const list = endpoints(10);
    ch.onEndpointsChanged(list);
    const before = assignment(ch, list);
    const eligible = list.filter((_, i) => i !== 7);
    const after = assignment(ch, eligible);
    expect(moved(before, after).sort()).toEqual(KEYS.filter((k) => before.get(k) === list[7]).sort());
  });

  test('weights scale the share of keys', () => {
    const ch = ring();
    const list = [endpoint('heavy', { weight: 3 }), endpoint('b'), endpoint('c')];
    ch.onEndpointsChanged(list);
    const heavy = [...assignment(ch, list).values()].filter((e) => e === list[0]).length / KEYS.length;
    expect(heavy).toBeGreaterThan(0.5);
    expect(heavy).toBeLessThan(0.7);
    expect(ch.describe(list[0]).ringPoints).toBe(300);
  });

  test.each([1.25, 1.5, 2])('bounds the load of a hot key at ceil(%p × average)', (loadFactor) => {
    const ch = ring({ loadFactor });
    const list = endpoints(10);
    ch.onEndpointsChanged(list);
    const over: string[] = [];
    for (let total = 1; total <= 1_000; total++) {
      ch.pick(list, { hashKey: 'hot' })!.inFlight++;
      const bound = Math.ceil((loadFactor * total) / list.length);
      for (const x of list) if (x.inFlight > bound) over.push(`${x.address}=${x.inFlight} > ${bound} at ${total}`);
    }
    expect(over).toEqual([]);
    expect(Math.max(...list.map((e) => e.inFlight))).toBe(Math.ceil(loadFactor * 100));
  });

  test('keeps a hot key on its owner while the owner is under the bound', () => {
    const ch = ring();
    const list = endpoints(10);
    ch.onEndpointsChanged(list);
    const owner = ch.pick(list, { hashKey: 'hot' })!;
    for (const e of list) e.inFlight = 4; // average 4, bound ceil(1.25 × 41 / 10) = 6
    owner.inFlight = 5;
    expect(ch.pick(list, { hashKey: 'hot' })).toBe(owner);
    owner.inFlight = 6;
    expect(ch.pick(list, { hashKey: 'hot' })).not.toBe(owner);
  });

  test('falls back to the least loaded of two samples when the request has no key', () => {
    const ch = ring();
    const list = [endpoint('busy', { inFlight: 10 }), endpoint('idle')];
    ch.onEndpointsChanged(list);
    for (let i = 0; i < 20; i++) expect(ch.pick(list, {})?.address).toBe('idle');
  });

  test('falls back when no ring endpoint is eligible', () => {
    const ch = ring();
    ch.onEndpointsChanged(endpoints(3));
    const strangers = [endpoint('x'), endpoint('y')];
    expect(strangers).toContain(ch.pick(strangers, { hashKey: 'k' }));
  });

  test('returns undefined for no endpoints and the only one for one', () => {
    const ch = ring();
    const [a] = endpoints(1);
    ch.onEndpointsChanged([a]);
    expect(ch.pick([], { hashKey: 'k' })).toBeUndefined();
    expect(ch.pick([a], { hashKey: 'k' })).toBe(a);
  });

  test('caps the ring size for huge weights, keeping the proportions', () => {
    const ch = ring({ virtualNodes: 1000, maxRingPoints: 4_000 });
    const list = [...endpoints(3, { weight: 2 }), endpoint('light', { weight: 0.0001 })];
    ch.onEndpointsChanged(list);
    const points = list.map((e) => ch.describe(e).ringPoints as number);
    expect(points).toEqual([1333, 1333, 1333, 1]);
    expect(list).toContain(ch.pick(list, { hashKey: 'k' }));
  });
});
