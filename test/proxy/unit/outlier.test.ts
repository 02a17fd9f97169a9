import { OutlierDetectionSchema } from '../../../src/config';
import { UpstreamEndpoint } from '../../../src/proxy/discovery/endpoint-set';
import { Eligibility } from '../../../src/proxy/health/eligibility';
import { ejectionMs, maxEjected, OutlierDetector } from '../../../src/proxy/health/outlier';

const cfg = OutlierDetectionSchema.parse({ consecutiveFailures: 3, baseEjectionMs: 1000, maxEjectionMs: 5000, maxEjectionPercent: 50 });
const eps = (n: number) => Array.from({ length: n }, (_, i) => new UpstreamEndpoint(`e${i}`, `10.0.0.${i}`, 80, 1, 'default'));

describe('outlier ejection', () => {
  test.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 5000],
    [40, 5000],
  ])('ejection number %i lasts %i ms (doubling, capped)', (k, ms) => {
    expect(ejectionMs(k, cfg)).toBe(ms);
  });

  test.each([
    [1, 50, 1],
    [2, 50, 1],
    [3, 50, 1],
    [4, 50, 2],
    [10, 50, 5],
    [10, 0, 1],
    [10, 100, 10],
  ])('a pool of %i at %i%% may eject %i at once', (total, pct, max) => {
    expect(maxEjected(total, pct)).toBe(max);
  });

  test('ejects after consecutive failures only, and a success resets the count', () => {
    let now = 0;
    const all = eps(4);
    const ejected: string[] = [];
    const d = new OutlierDetector(cfg, () => all, () => now, { onEject: (e) => ejected.push(e.id) });
    d.onFailure(all[0]);
    d.onFailure(all[0]);
    d.onSuccess(all[0]);
    d.onFailure(all[0]);
    d.onFailure(all[0]);
    expect(ejected).toEqual([]);
    expect(d.onFailure(all[0])).toBe(true);
    expect(all[0].ejectedUntil).toBe(1000);
    now = 1001;
    for (let i = 0; i < 3; i++) d.onFailure(all[0]);
    expect(all[0].ejectedUntil).toBe(1001 + 2000);
    expect(ejected).toEqual(['e0', 'e0']);
  });

  test('respects maxEjectionPercent but always lets one endpoint go in a pool of two', () => {
    const now = 0;
    const all = eps(2);
    const d = new OutlierDetector(cfg, () => all, () => now, { onEject: () => undefined });
    for (let i = 0; i < 3; i++) d.onFailure(all[0]);
    for (let i = 0; i < 3; i++) d.onFailure(all[1]);
    expect(all[0].ejectedUntil).toBeGreaterThan(0);
    expect(all[1].ejectedUntil).toBe(0);
  });

  test('an ejected endpoint comes back when its time is up, without any timer', () => {
    let now = 0;
    const all = eps(3);
    const set = { all: () => all, version: 1 };
    const el = new Eligibility(set, 0, () => now);
    const d = new OutlierDetector(cfg, () => all, () => now, { onEject: () => el.invalidate() });
    for (let i = 0; i < 3; i++) d.onFailure(all[1]);
    expect(el.base().map((e) => e.id)).toEqual(['e0', 'e2']);
    now = 999;
    expect(el.base()).toHaveLength(2);
    now = 1000;
    expect(el.base().map((e) => e.id)).toEqual(['e0', 'e1', 'e2']);
  });
});

describe('probe-back after ejection', () => {
  const probeCfg = OutlierDetectionSchema.parse({ consecutiveFailures: 2, baseEjectionMs: 30_000, probeAfterMs: 500 });
  function setup() {
    const clock = { now: 0 };
    const all = eps(3);
    const el = new Eligibility({ all: () => all, version: 1 }, 0, () => clock.now);
    const returned: string[] = [];
    const d = new OutlierDetector(probeCfg, () => all, () => clock.now, {
      onEject: () => el.invalidate(),
      onReturn: (e) => {
        returned.push(e.id);
        el.invalidate();
      },
      onProbeFailed: () => el.invalidate(),
    });
    d.onFailure(all[1]);
    d.onFailure(all[1]);
    return { clock, all, el, d, returned };
  }

  test('offers no probe before probeAfterMs, then exactly one', () => {
    const { clock, all, el } = setup();
    expect(el.base().map((e) => e.id)).toEqual(['e0', 'e2']);
    clock.now = 499;
    expect(el.probeCandidate()).toBeUndefined();
    clock.now = 500;
    const probe = el.probeCandidate();
    expect(probe).toBe(all[1]);
    probe!.probing = true;
    expect(el.probeCandidate()).toBeUndefined();
  });

  test('a successful probe returns the endpoint long before its ejection ends', () => {
    const { clock, all, el, d, returned } = setup();
    clock.now = 600;
    el.probeCandidate()!.probing = true;
    d.onSuccess(all[1]);
    expect(returned).toEqual(['e1']);
    expect(el.base().map((e) => e.id)).toEqual(['e0', 'e1', 'e2']);
  });

  test('a failed probe keeps it out and doubles the wait before the next probe', () => {
    const { clock, all, el, d } = setup();
    clock.now = 600;
    el.probeCandidate()!.probing = true;
    d.onFailure(all[1]);
    expect(el.base().map((e) => e.id)).toEqual(['e0', 'e2']);
    clock.now = 1_599;
    expect(el.probeCandidate()).toBeUndefined();
    clock.now = 1_600;
    expect(el.probeCandidate()).toBe(all[1]);
  });
});

describe('panic mode', () => {
  test('below the threshold of healthy endpoints, all endpoints are eligible', () => {
    const all = eps(4);
    const el = new Eligibility({ all: () => all, version: 1 }, 50, () => 0);
    all[0].healthy = false;
    expect(el.base()).toHaveLength(3);
    expect(el.panic).toBe(false);
    all[1].healthy = false;
    all[2].healthy = false;
    el.invalidate();
    expect(el.base()).toHaveLength(4);
    expect(el.panic).toBe(true);
    expect(el.healthyCount).toBe(1);
  });

  test('per-try filtering drops endpoints at their limit and endpoints already tried', () => {
    const all = eps(3);
    const el = new Eligibility({ all: () => all, version: 1 }, 50, () => 0);
    expect(el.forTry(2, undefined)).toBe(el.base());
    all[0].inFlight = 2;
    expect(el.forTry(2, [all[2]]).map((e) => e.id)).toEqual(['e1']);
  });
});
