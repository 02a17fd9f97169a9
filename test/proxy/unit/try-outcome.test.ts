import { UpstreamEndpoint } from '../../../src/proxy/discovery/endpoint-set';
import type { RetryGate } from '../../../src/proxy/resilience/try-outcome';
import { retryVerdict } from '../../../src/proxy/resilience/try-outcome';
import { RetryBudget } from '../../../src/proxy/resilience/retry-budget';
import { retryFlags } from '../../../src/proxy/resilience/policy';
import { RetriesSchema } from '../../../src/config';

const ep = (n: number) => new UpstreamEndpoint(`10.0.0.${n}:80`, `10.0.0.${n}`, 80, 1, 'app');

function gate(alternative: boolean, budgetPerSecond = 10): RetryGate & { asked: UpstreamEndpoint[][] } {
  const asked: UpstreamEndpoint[][] = [];
  return {
    retry: retryFlags(RetriesSchema.parse({})),
    budget: new RetryBudget(0, budgetPerSecond, () => 0),
    hasAlternative: (tried) => {
      asked.push([...tried]);
      return alternative;
    },
    asked,
  };
}

describe('retryVerdict', () => {
  test('retries when allowed, with an attempt left and another endpoint, asking about all tried endpoints', () => {
    const g = gate(true);
    const [a, b] = [ep(1), ep(2)];
    expect(retryVerdict(g, true, 1, [a], b)).toBe('retry');
    expect(g.asked).toEqual([[a, b]]);
  });

  test.each([
    ['not allowed', false, 0],
    ['out of attempts (2 by default)', true, 2],
  ])('fails to retry when %s, without charging the budget', (_why, allowed, attempts) => {
    const g = gate(true, 1);
    expect(retryVerdict(g, allowed, attempts, undefined, ep(1))).toBe('no');
    expect(retryVerdict(g, true, 0, undefined, ep(1))).toBe('retry'); // the one budgeted retry is still there
  });

  test('no other endpoint: no, and the budget is not charged', () => {
    const g = gate(false, 1);
    expect(retryVerdict(g, true, 0, undefined, ep(1))).toBe('no');
    expect(g.budget.tryRetry()).toBe(true);
  });

  test('a spent budget is told apart, so the exchange can count it', () => {
    const g = gate(true, 1);
    expect(retryVerdict(g, true, 0, undefined, ep(1))).toBe('retry');
    expect(retryVerdict(g, true, 0, undefined, ep(1))).toBe('budget-exhausted');
  });
});
