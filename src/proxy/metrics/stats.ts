/**
 * Every stat the proxy exports, declared once. Names follow Prometheus conventions and are grouped by concern
 * (downstream_*, upstream_*, endpoint_*, lb_*, outlier_*, retry_*, queue_*), all under the `lb_` prefix.
 * Code elsewhere refers to stats by these keys; the admin test checks the exposition has every name in this list.
 */
export interface StatSpec {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly labels?: readonly string[];
}

export const STATS = {
  downstreamRq: {
    name: 'lb_downstream_rq_total',
    help: 'Client requests answered, by status class (1xx..5xx).',
    type: 'counter',
    labels: ['code_class'],
  },
  downstreamRqDuration: {
    name: 'lb_downstream_rq_duration_seconds',
    help: 'Time from request arrival to the response headers sent to the client.',
    type: 'histogram',
  },
  downstreamRqActive: { name: 'lb_downstream_rq_active', help: 'Client requests in flight.', type: 'gauge' },
  upstreamRqRetry: { name: 'lb_upstream_rq_retry_total', help: 'Retries sent to another endpoint.', type: 'counter' },
  retryBudgetExhausted: {
    name: 'lb_retry_budget_exhausted_total',
    help: 'Retries not sent because the retry budget was spent.',
    type: 'counter',
  },
  upstreamFailure: {
    name: 'lb_upstream_failure_total',
    help: 'Upstream tries that failed without a response, by kind.',
    type: 'counter',
    labels: ['kind'],
  },
  pickNone: {
    name: 'lb_pick_none_total',
    help: 'Requests answered 503 because no endpoint was eligible.',
    type: 'counter',
  },
  queueRejected: {
    name: 'lb_queue_rejected_total',
    help: 'Requests answered 503 by the admission queue, by reason.',
    type: 'counter',
    labels: ['reason'],
  },
  queueDepth: { name: 'lb_queue_depth', help: 'Requests waiting for admission.', type: 'gauge' },
  outlierEjections: {
    name: 'lb_outlier_ejections_total',
    help: 'Endpoints ejected by passive outlier detection.',
    type: 'counter',
  },
  endpointsHealthy: {
    name: 'lb_endpoints_healthy',
    help: 'Endpoints that pass active checks and are not ejected.',
    type: 'gauge',
  },
  endpointsTotal: { name: 'lb_endpoints_total', help: 'Endpoints known to discovery.', type: 'gauge' },
  zonePicks: {
    name: 'lb_upstream_rq_zone_total',
    help: 'Tries sent to an endpoint in the proxy\'s zone (locality="local") or in another (locality="remote"), when the zone is known.',
    type: 'counter',
    labels: ['locality'],
  },
  discoveryStale: {
    name: 'lb_discovery_stale_seconds',
    help: 'How long the endpoint view may have been out of date (a Kubernetes API watch down); 0 while current.',
    type: 'gauge',
  },
  panicMode: { name: 'lb_panic_mode', help: '1 while balancing over all endpoints (panic mode).', type: 'gauge' },
  endpointInFlight: {
    name: 'lb_endpoint_rq_active',
    help: 'Upstream requests in flight per endpoint.',
    type: 'gauge',
    labels: ['endpoint'],
  },
  endpointRq: {
    name: 'lb_endpoint_rq_total',
    help: 'Upstream tries per endpoint, by result (success: status < 500).',
    type: 'counter',
    labels: ['endpoint', 'result'],
  },
  endpointLoad: {
    name: 'lb_endpoint_balancer_state',
    help: "Numeric per-endpoint balancer state from the algorithm's describe() (EWMA, reported load...).",
    type: 'gauge',
    labels: ['endpoint', 'key'],
  },
  downstreamCx: {
    name: 'lb_downstream_cx_total',
    help:
      'Client connections on a tcp listener, by result: proxied (an endpoint accepted it), connect-failure (no endpoint ' +
      'did, retries included), no-endpoint (none eligible), overloaded (admission queue), aborted (the client left or the ' +
      'proxy stopped before an endpoint accepted).',
    type: 'counter',
    labels: ['result'],
  },
  downstreamCxActive: { name: 'lb_downstream_cx_active', help: 'Open client connections on a tcp listener.', type: 'gauge' },
  downstreamCxBytes: {
    name: 'lb_downstream_cx_bytes_total',
    help: 'Bytes relayed on a tcp listener, counted when each connection closes: rx from clients, tx to clients.',
    type: 'counter',
    labels: ['direction'],
  },
  ready: { name: 'lb_ready', help: '1 while /readyz answers 200.', type: 'gauge' },
} as const satisfies Record<string, StatSpec>;

export type StatKey = keyof typeof STATS;

/** All stat names, for tests and docs. */
export const STAT_NAMES: readonly string[] = Object.values(STATS).map((s) => s.name);
