/**
 * The admin server, on its own port: GET /healthz (200 while the process runs), /readyz (200 only when at least one
 * endpoint is eligible and the proxy is not draining), /metrics (Prometheus text) and /admin/endpoints (JSON dump of
 * every endpoint's state and the balancer's view of it).
 */
import * as http from 'node:http';
import type { UpstreamEndpoint } from './discovery/endpoint-set';
import type { ProxyMetrics } from './metrics/registry';

export interface AdminView {
  ready(): boolean;
  readyReason(): string;
  endpoints(): readonly UpstreamEndpoint[];
  describe(ep: UpstreamEndpoint): Record<string, number | string | undefined>;
  summary(): Record<string, unknown>;
  now(): number;
}

export function endpointDump(view: AdminView): Record<string, unknown> {
  const now = view.now();
  return {
    ...view.summary(),
    endpoints: view.endpoints().map((e) => ({
      id: e.id,
      address: e.address,
      port: e.port,
      subset: e.subset,
      weight: e.weight,
      healthy: e.healthy,
      ejected: e.ejectedUntil > now,
      ejectedForMs: e.ejectedUntil > now ? Math.round(e.ejectedUntil - now) : 0,
      ejections: e.ejections,
      consecutiveFailures: e.consecutiveFailures,
      inFlight: e.inFlight,
      successes: e.successes,
      failures: e.failures,
      balancer: view.describe(e),
    })),
  };
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

export function createAdminServer(view: AdminView, metrics: ProxyMetrics): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain', 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/healthz':
        send(res, 200, 'text/plain', 'ok\n');
        return;
      case '/readyz':
        if (view.ready()) send(res, 200, 'text/plain', 'ready\n');
        else send(res, 503, 'text/plain', `not ready: ${view.readyReason()}\n`);
        return;
      case '/metrics':
        metrics.registry.metrics().then(
          (text) => send(res, 200, metrics.registry.contentType, text),
          (err: unknown) => send(res, 500, 'text/plain', `metrics failed: ${String(err)}\n`),
        );
        return;
      case '/admin/endpoints':
        send(res, 200, 'application/json', JSON.stringify(endpointDump(view), null, 2) + '\n');
        return;
      default:
        send(res, 404, 'text/plain', 'not found: try /healthz, /readyz, /metrics, /admin/endpoints\n');
    }
  });
}
