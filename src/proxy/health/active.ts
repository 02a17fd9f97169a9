/**
 * Active HTTP health checks: GET healthCheck.path on every endpoint each intervalMs.
 *
 * A 2xx or 3xx answer within timeoutMs is a pass. `unhealthyThreshold` failures in a row mark an endpoint unhealthy,
 * `healthyThreshold` passes in a row mark it healthy again. New endpoints start healthy and are checked at once:
 * a pod the DNS lists is ready by Kubernetes' own probe, and starting them unhealthy would delay readiness by a whole
 * interval for no gain.
 */
import * as http from 'node:http';
import type { HealthCheckConfig } from '../../config';
import type { UpstreamEndpoint } from '../discovery/endpoint-set';
import type { Logger } from '../log';

export type Probe = (ep: UpstreamEndpoint, path: string, timeoutMs: number) => Promise<boolean>;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

const HEADERS = { 'user-agent': 'cdk8s-balancer-health' };

/**
 * One GET through `request` (http.request, or https.request with the upstream TLS options): a 2xx or 3xx answer
 * within `timeoutMs` passes.
 */
export function checkGet(
  request: (options: http.RequestOptions, onResponse: (res: http.IncomingMessage) => void) => http.ClientRequest,
  options: http.RequestOptions,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(ok);
    };
    const req = request({ ...options, method: 'GET', headers: HEADERS }, (res) => {
      res.resume();
      const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 400;
      res.on('end', () => finish(ok));
      res.on('error', () => finish(false));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(false);
    }, timeoutMs);
    req.on('error', () => finish(false));
    req.end();
  });
}

export const httpProbe: Probe = (ep, path, timeoutMs) => checkGet(http.request, { host: ep.address, port: ep.port, path, agent }, timeoutMs);

interface CheckState {
  timer: NodeJS.Timeout | undefined;
  passes: number;
  fails: number;
  stopped: boolean;
}

export class ActiveHealthChecker {
  private readonly states = new Map<UpstreamEndpoint, CheckState>();

  public constructor(
    private readonly c: HealthCheckConfig,
    private readonly log: Logger,
    private readonly onVerdictChange: (ep: UpstreamEndpoint) => void,
    private readonly probe: Probe = httpProbe,
  ) {}

  public add(ep: UpstreamEndpoint): void {
    if (this.states.has(ep)) return;
    const st: CheckState = { timer: undefined, passes: 0, fails: 0, stopped: false };
    this.states.set(ep, st);
    void this.run(ep, st);
  }

  public remove(ep: UpstreamEndpoint): void {
    const st = this.states.get(ep);
    if (!st) return;
    st.stopped = true;
    if (st.timer) clearTimeout(st.timer);
    this.states.delete(ep);
  }

  public stop(): void {
    for (const ep of [...this.states.keys()]) this.remove(ep);
    agent.destroy();
  }

  private async run(ep: UpstreamEndpoint, st: CheckState): Promise<void> {
    const ok = await this.probe(ep, this.c.path, this.c.timeoutMs);
    if (st.stopped) return;
    this.record(ep, st, ok);
    st.timer = setTimeout(() => void this.run(ep, st), this.c.intervalMs);
    st.timer.unref();
  }

  private record(ep: UpstreamEndpoint, st: CheckState, ok: boolean): void {
    if (ok) {
      st.fails = 0;
      st.passes++;
      if (!ep.healthy && st.passes >= this.c.healthyThreshold) this.flip(ep, true);
    } else {
      st.passes = 0;
      st.fails++;
      if (ep.healthy && st.fails >= this.c.unhealthyThreshold) this.flip(ep, false);
    }
  }

  private flip(ep: UpstreamEndpoint, healthy: boolean): void {
    ep.healthy = healthy;
    this.log.info(healthy ? 'endpoint passed health checks' : 'endpoint failed health checks', { endpoint: ep.id });
    this.onVerdictChange(ep);
  }
}
