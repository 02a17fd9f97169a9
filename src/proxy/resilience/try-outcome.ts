/**
 * What follows one upstream try, with no sockets and no timers: the feedback to the balancer and to outlier detection,
 * and whether a retry may follow. The exchange (real connections) and the simulator (src/simulate, virtual time) both
 * call these two functions, so what the simulator shows is what the proxy decides.
 */
import type { Balancer, Outcome } from '../balancer/types';
import type { UpstreamEndpoint } from '../discovery/endpoint-set';
import type { OutlierDetector } from '../health/outlier';
import type { RetryFlags } from './policy';
import type { RetryBudget } from './retry-budget';

/** The parts of the router that learn from an outcome. */
export interface TryFeedback {
  readonly balancer: Balancer;
  readonly outlier: OutlierDetector;
}

/** Reports a finished try (an answer, or a failure without one) to the balancer, the counters and outlier detection. */
export function recordTry(r: TryFeedback, ep: UpstreamEndpoint, outcome: Outcome): void {
  r.balancer.onResult(ep, outcome);
  if (outcome.ok) {
    ep.successes++;
    r.outlier.onSuccess(ep);
  } else {
    ep.failures++;
    r.outlier.onFailure(ep);
  }
}

/** The parts of the router a retry decision reads. */
export interface RetryGate {
  readonly retry: RetryFlags;
  readonly budget: RetryBudget;
  hasAlternative(tried: readonly UpstreamEndpoint[]): boolean;
}

/** `retry`: go again (one retry was taken from the budget); `budget-exhausted`: it would, but the budget is spent. */
export type RetryVerdict = 'retry' | 'no' | 'budget-exhausted';

/**
 * Whether a retry may follow a failed try. `allowed` is the request's own verdict (safe to send again, client still
 * there); `attempts` the retries made so far; `tried` the endpoints tried before `last`, which just failed. A retry
 * needs an attempt left, another endpoint to go to, and room in the budget, in that order: the budget is charged only
 * when a retry will really be sent.
 */
export function retryVerdict(
  r: RetryGate,
  allowed: boolean,
  attempts: number,
  tried: readonly UpstreamEndpoint[] | undefined,
  last: UpstreamEndpoint,
): RetryVerdict {
  if (!allowed || attempts >= r.retry.attempts) return 'no';
  if (!r.hasAlternative(tried ? [...tried, last] : [last])) return 'no';
  return r.budget.tryRetry() ? 'retry' : 'budget-exhausted';
}
