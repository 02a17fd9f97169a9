/**
 * Smoke mode on a tcp listener: a connection through the proxy instead of an HTTP request, since the endpoints may
 * speak anything (a database, a broker) and many wait for the client to speak first. What counts is the proxy's own
 * verdict: its connect to the endpoint succeeded (the endpoint's success counter moved). The client sends nothing and
 * holds the connection only until the proxy decided, so no endpoint sees a protocol it does not know.
 */
import * as net from 'node:net';
import type { ProxyConfig } from '../../config';

export type TcpSmokeResult = 'connected' | 'reset' | 'closed' | 'timeout';

/**
 * Opens one connection to the proxy on 127.0.0.1:`port` and resolves once the proxy's tries (`tries()`: successes +
 * failures of every endpoint) moved, the connection closed, or every connect the proxy may make had its time.
 */
export function oneTcpConnection(port: number, i: number, config: ProxyConfig, tries: () => number): Promise<TcpSmokeResult> {
  const a = config.algorithm;
  // A fresh source address per connection, so every endpoint of a source-ip hash ring is reached.
  const localAddress = a.kind === 'consistent-hash' ? `127.0.${(i >> 8) & 255}.${(i & 255) || 1}` : undefined;
  const before = tries();
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    let failed = false;
    const done = (result: TcpSmokeResult): void => {
      clearInterval(poll);
      clearTimeout(timer);
      // A reset, not a FIN: a FIN is a half-close the proxy passes on, and an endpoint that waits for its client to
      // speak first would keep the relay open until the idle timeout.
      if (!s.destroyed) s.resetAndDestroy();
      resolve(result);
    };
    const poll = setInterval(() => {
      if (tries() !== before) done('connected');
    }, 5);
    const t = config.timeouts.connectMs;
    const timer = setTimeout(() => done('timeout'), t * (config.retries.attempts + 1) + 100);
    s.on('data', () => done('connected'));
    s.on('error', () => (failed = true));
    s.on('close', () => done(failed ? 'reset' : 'closed'));
  });
}
