/**
 * Cross-field rules of the listener's protocol: settings that only mean something for HTTP (or gRPC), refused on a
 * listener that cannot honour them, so a config never promises a behaviour the proxy silently skips.
 *
 * A tcp listener sees bytes, not requests: no header, no cookie, no response status or load report, no gRPC.
 */
import type { ProxyConfig } from './schema';

interface Issue {
  readonly path: string;
  readonly message: string;
}

export function listenerProtocolIssues(c: ProxyConfig): Issue[] {
  if (c.listener.protocol !== 'tcp') return [];
  const out: Issue[] = [];
  const a = c.algorithm;
  if (a.kind === 'consistent-hash' && a.key.source !== 'source-ip') {
    out.push({
      path: 'algorithm.key',
      message:
        `a tcp listener sees no HTTP ${a.key.source}s, so the ${a.key.source} key ${JSON.stringify(a.key.name)} cannot be read; ` +
        'fix: use { source: "source-ip" } (a client keeps its endpoint by its address), or an http listener',
    });
  }
  if (a.kind === 'least-utilization') {
    out.push({
      path: 'algorithm.kind',
      message:
        `least-utilization reads the load from a response header (${JSON.stringify(a.header)}), which a tcp listener never sees; ` +
        'fix: use least-connections (it counts open connections) or peak-ewma (it learns connect times)',
    });
  }
  if (c.healthCheck?.grpcService !== undefined) {
    out.push({
      path: 'healthCheck.grpcService',
      message:
        `a tcp listener checks endpoints by a TCP connect, not grpc.health.v1.Health/Check (got ${JSON.stringify(c.healthCheck.grpcService)}); ` +
        'fix: remove grpcService, or use a grpc listener',
    });
  }
  return out;
}
