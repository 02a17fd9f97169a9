/**
 * Comparison algorithms that are not ours, as plain {@link Balancer}s the simulator plugs into the same proxy replica
 * (same eligibility, outlier detection and retries). They are MODELS of the pick rule, written from the sources named,
 * not the products themselves:
 *
 * - nginx `least_conn` (ngx_http_upstream_least_conn_module.c): the peer with the lowest conns / weight; a tie among
 *   several goes to smooth weighted round robin over the tied peers (current += weight, take the max, subtract the
 *   total). Passive health as nginx's defaults: max_fails=1, fail_timeout=10s, so a connect failure, reset or timeout
 *   (not a 5xx: `proxy_next_upstream error timeout`) takes the peer out for 10 s.
 * - HAProxy `balance leastconn` (lb_fwlc.c): the server with the fewest connections / weight; servers of equal load
 *   take turns (round robin within a load level). No health checks, as in the benchmark's configuration.
 * - the JSQ oracle: join the shortest queue with global knowledge, i.e. the backend with the fewest outstanding requests
 *   from all proxy replicas together, per unit of capacity; ties at random. No real proxy can see this; it is the
 *   yardstick the report measures the gap to.
 */
import { randomIndex } from '../proxy/balancer/shared';
import type { Balancer, Endpoint, Outcome, PickContext } from '../proxy/balancer/types';

/** The comparison models, by the name the API and the CLI take. */
export const MODEL_NAMES = ['nginx-least-conn', 'haproxy-leastconn', 'jsq'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

const NGINX_FAIL_TIMEOUT_MS = 10_000;

export class NginxLeastConnModel implements Balancer {
  private readonly current = new Map<Endpoint, number>();
  private readonly failedAt = new Map<Endpoint, number>();

  public constructor(private readonly now: () => number) {}

  public pick(endpoints: readonly Endpoint[], _ctx: PickContext): Endpoint | undefined {
    const now = this.now();
    let usable = endpoints.filter((e) => !(now - (this.failedAt.get(e) ?? -Infinity) < NGINX_FAIL_TIMEOUT_MS));
    if (usable.length === 0) usable = endpoints as Endpoint[]; // nginx: all down, so all are tried again
    let best: Endpoint | undefined;
    let many = false;
    for (const e of usable) {
      if (best === undefined || e.inFlight * best.weight < best.inFlight * e.weight) {
        best = e;
        many = false;
      } else if (e.inFlight * best.weight === best.inFlight * e.weight) {
        many = true;
      }
    }
    if (best === undefined || !many) return best;
    const lead = best;
    let total = 0;
    let chosen: Endpoint | undefined;
    let chosenCurrent = -Infinity;
    for (const e of usable) {
      if (e.inFlight * lead.weight !== lead.inFlight * e.weight) continue;
      const c = (this.current.get(e) ?? 0) + e.weight;
      this.current.set(e, c);
      total += e.weight;
      if (c > chosenCurrent) {
        chosen = e;
        chosenCurrent = c;
      }
    }
    if (chosen !== undefined) this.current.set(chosen, chosenCurrent - total);
    return chosen;
  }

  public onResult(endpoint: Endpoint, outcome: Outcome): void {
    if (!outcome.ok && outcome.status === undefined) this.failedAt.set(endpoint, this.now());
  }

  public onEndpointsChanged(): void {}

  public describe(endpoint: Endpoint): Record<string, number | string | undefined> {
    return { inFlight: endpoint.inFlight, current: this.current.get(endpoint) };
  }
}

export class HaproxyLeastConnModel implements Balancer {
  private readonly lastPick = new Map<Endpoint, number>();
  private picks = 0;

  public pick(endpoints: readonly Endpoint[], _ctx: PickContext): Endpoint | undefined {
    let best: Endpoint | undefined;
    for (const e of endpoints) {
      if (best === undefined) {
        best = e;
        continue;
      }
      const c = e.inFlight * best.weight - best.inFlight * e.weight;
      if (c < 0 || (c === 0 && (this.lastPick.get(e) ?? -1) < (this.lastPick.get(best) ?? -1))) best = e;
    }
    if (best !== undefined) this.lastPick.set(best, this.picks++);
    return best;
  }

  public onResult(): void {}

  public onEndpointsChanged(): void {}

  public describe(endpoint: Endpoint): Record<string, number | string | undefined> {
    return { inFlight: endpoint.inFlight };
  }
}

/** What the oracle knows that a proxy does not: every backend's outstanding requests, from all replicas. */
export interface GlobalView {
  outstanding(endpoint: Endpoint): number;
  capacity(endpoint: Endpoint): number;
}

export class JsqOracle implements Balancer {
  public constructor(
    private readonly view: GlobalView,
    private readonly random: () => number,
  ) {}

  public pick(endpoints: readonly Endpoint[], _ctx: PickContext): Endpoint | undefined {
    let best: Endpoint[] = [];
    let bestLoad = Infinity;
    for (const e of endpoints) {
      const load = (this.view.outstanding(e) + 1) / this.view.capacity(e);
      if (load < bestLoad) {
        best = [e];
        bestLoad = load;
      } else if (load === bestLoad) {
        best.push(e);
      }
    }
    return best.length <= 1 ? best[0] : best[randomIndex(best.length, this.random)];
  }

  public onResult(): void {}

  public onEndpointsChanged(): void {}

  public describe(endpoint: Endpoint): Record<string, number | string | undefined> {
    return { outstanding: this.view.outstanding(endpoint) };
  }
}

