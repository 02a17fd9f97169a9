import { RetryBudget } from '../../../src/proxy/resilience/retry-budget';
import { isIdempotent, retryFlags } from '../../../src/proxy/resilience/policy';
import { RetriesSchema } from '../../../src/config';

describe('retry budget', () => {
  test('allows minRetriesPerSecond retries with no traffic, then refuses', () => {
    const now = 0;
    const b = new RetryBudget(0.2, 3, () => now);
    expect([b.tryRetry(), b.tryRetry(), b.tryRetry(), b.tryRetry()]).toEqual([true, true, true, false]);
  });

  test('allows ratio x requests of the last second', () => {
    let now = 0;
    const b = new RetryBudget(0.2, 0, () => now);
    for (let i = 0; i < 100; i++) b.recordRequest();
    let ok = 0;
    for (let i = 0; i < 50; i++) if (b.tryRetry()) ok++;
    expect(ok).toBe(20);
    now = 500;
    expect(b.tryRetry()).toBe(false);
    now = 1100; // the requests (and retries) of t=0 left the window
    expect(b.tryRetry()).toBe(false);
    for (let i = 0; i < 10; i++) b.recordRequest();
    expect(b.tryRetry()).toBe(true);
    expect(b.tryRetry()).toBe(true);
    expect(b.tryRetry()).toBe(false);
  });

  test('a window slides: spent retries come back after a second', () => {
    let now = 0;
    const b = new RetryBudget(0, 2, () => now);
    expect(b.tryRetry() && b.tryRetry()).toBe(true);
    expect(b.tryRetry()).toBe(false);
    now = 999;
    expect(b.tryRetry()).toBe(false);
    now = 1000;
    expect(b.tryRetry()).toBe(true);
  });
});

describe('retry policy', () => {
  test.each(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])('%s is idempotent', (m) => expect(isIdempotent(m)).toBe(true));
  test.each(['POST', 'PATCH', 'CONNECT'])('%s is not idempotent', (m) => expect(isIdempotent(m)).toBe(false));

  test('retryOn becomes flags', () => {
    const f = retryFlags(RetriesSchema.parse({ retryOn: ['reset', '503'] }));
    expect(f.connectFailure).toBe(false);
    expect(f.reset).toBe(true);
    expect([...f.status]).toEqual([503]);
  });
});
