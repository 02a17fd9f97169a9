/**
 * Smooth weighted round robin, as nginx does it (ngx_http_upstream_get_peer, 2012).
 *
 * Every endpoint keeps a `current` weight. On each pick, over the eligible endpoints:
 *
 *   current_i += weight_i          for every i
 *   pick the i with the largest current (the first one on a tie)
 *   current_picked -= total        where total = sum of weight_i
 *
 * Over any window of `total` picks each endpoint is chosen exactly weight_i times, and the picks of a heavy endpoint
 * are spread out rather than bunched: 5:1:1 gives a a b a c a a, not a a a a a b c.
 *
 * Weights are the endpoints' own (`endpoint.weight`, from discovery). Shares of traffic per subset are not weights:
 * they are the config's `upstream.trafficSplit`, applied around any algorithm by {@link SplitBalancer}.
 *
 * Endpoints left out of a pick (ejected, or already tried by a retry) keep their `current`, as in nginx. New endpoints
 * start at 0. The per-endpoint states are looked up once per distinct eligible list and cached as an array aligned
 * with it, so the steady state is an O(n) loop with no Map lookups and no allocation. Two lists are cached, because
 * retries alternate between the full list and the list without the endpoint just tried.
 */
import { pruneStates } from './shared';
import type { Balancer, Endpoint, PickContext } from './types';

interface WrrState {
  readonly weight: number;
  current: number;
}

interface Aligned {
  readonly list: readonly Endpoint[];
  readonly states: WrrState[];
}

const EMPTY: Aligned = { list: [], states: [] };

function sameList(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

export class WeightedRoundRobinBalancer implements Balancer {
  private readonly states = new Map<Endpoint, WrrState>();
  /** The two most recently used eligible lists, each with its states in the same order; [0] is the newer. */
  private aligned: [Aligned, Aligned] = [EMPTY, EMPTY];

  public pick(endpoints: readonly Endpoint[], _ctx: PickContext): Endpoint | undefined {
    const n = endpoints.length;
    if (n === 0) return undefined;
    const states = this.align(endpoints);
    let total = 0;
    let best = 0;
    let bestCurrent = -Infinity;
    for (let i = 0; i < n; i++) {
      const s = states[i];
      s.current += s.weight;
      total += s.weight;
      if (s.current > bestCurrent) {
        best = i;
        bestCurrent = s.current;
      }
    }
    states[best].current -= total;
    return endpoints[best];
  }

  public onResult(): void {
    // Weighted round robin ignores feedback.
  }

  public onEndpointsChanged(all: readonly Endpoint[]): void {
    pruneStates(this.states, all);
    this.aligned = [EMPTY, EMPTY];
  }

  public describe(endpoint: Endpoint): Record<string, number | string | undefined> {
    const s = this.states.get(endpoint);
    return { weight: endpoint.weight, current: s?.current };
  }

  private align(endpoints: readonly Endpoint[]): WrrState[] {
    const [newer, older] = this.aligned;
    if (sameList(newer.list, endpoints)) return newer.states;
    if (sameList(older.list, endpoints)) {
      this.aligned = [older, newer];
      return older.states;
    }
    const fresh = { list: endpoints.slice(), states: endpoints.map((e) => this.stateOf(e)) };
    this.aligned = [fresh, newer];
    return fresh.states;
  }

  private stateOf(endpoint: Endpoint): WrrState {
    let s = this.states.get(endpoint);
    if (s === undefined) {
      s = { weight: endpoint.weight, current: 0 };
      this.states.set(endpoint, s);
    }
    return s;
  }
}
