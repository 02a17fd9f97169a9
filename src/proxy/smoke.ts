/**
 * Smoke mode (the Kubernetes smoke-test Job): run discovery and the balancer in-process behind a listener on
 * 127.0.0.1, send requests through it until every discovered endpoint has answered below 500 at least once, then
 * print a JSON summary. Hash-keyed algorithms get a fresh key per request (header, cookie, or source address from
 * 127.0.0.0/8), so every endpoint of the ring is reached. A tcp listener gets connections instead of requests
 * (tcp/smoke-connection.ts): there, an endpoint answered when the proxy's connect to it succeeded.
 */
import * as http from 'node:http';
import type { ProxyConfig } from '../config';
import { startProxy } from './lifecycle';
import type { Logger } from './log';
import { oneTcpConnection } from './tcp/smoke-connection';

export interface SmokeOptions {
  readonly requests: number;
  readonly timeoutMs: number;
  readonly dnsServers?: readonly string[];
  readonly log: Logger;
}

export interface SmokeSummary {
  readonly ok: boolean;
  readonly algorithm: string;
  readonly requests: number;
  readonly statuses: Record<string, number>;
  readonly elapsedMs: number;
  readonly endpoints: readonly { id: string; answered: boolean; successes: number; failures: number }[];
  readonly missing: readonly string[];
  readonly reason?: string;
}

function oneRequest(port: number, i: number, config: ProxyConfig, agent: http.Agent): Promise<number> {
  const headers: Record<string, string> = { 'user-agent': 'cdk8s-balancer-smoke' };
  let localAddress: string | undefined;
  const a = config.algorithm;
  const key = `smoke-${i}-${Math.random().toString(36).slice(2, 8)}`;
  if (a.kind === 'consistent-hash') {
    if (a.key.source === 'header') headers[a.key.name] = key;
    else if (a.key.source === 'cookie') headers.cookie = `${a.key.name}=${key}`;
    else localAddress = `127.0.${(i >> 8) & 255}.${(i & 255) || 1}`;
  }
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/', headers, agent: localAddress ? false : agent, localAddress, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

export async function runSmoke(config: ProxyConfig, o: SmokeOptions): Promise<SmokeSummary> {
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  const proxy = await startProxy(config, {
    log: o.log,
    dnsServers: o.dnsServers,
    listenHost: '127.0.0.1',
    listenPort: 0,
    admin: false,
    defaultMetrics: false,
  });
  const set = proxy.discovery.set;
  await Promise.race([proxy.discovery.ready, sleep(Math.max(0, deadline - Date.now()))]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const statuses: Record<string, number> = {};
  let sent = 0;
  const allAnswered = () => set.size > 0 && set.all().every((e) => e.successes > 0);
  // A tcp listener's endpoints may speak anything: a connection, not an HTTP request, and the proxy's connect decides.
  const tries = () => set.all().reduce((n, e) => n + e.successes + e.failures, 0);
  const one = (k: number): Promise<number | string> =>
    config.listener.protocol === 'tcp' ? oneTcpConnection(proxy.port, k, config, tries) : oneRequest(proxy.port, k, config, agent);
  while (sent < o.requests && Date.now() < deadline && !allAnswered()) {
    if (set.size === 0) {
      await sleep(200);
      continue;
    }
    const batch = Math.min(4, o.requests - sent);
    const codes = await Promise.all(Array.from({ length: batch }, (_, k) => one(sent + k)));
    sent += batch;
    for (const c of codes) statuses[c] = (statuses[c] ?? 0) + 1;
  }
  agent.destroy();
  const endpoints = set.all().map((e) => ({ id: e.id, answered: e.successes > 0, successes: e.successes, failures: e.failures }));
  const missing = endpoints.filter((e) => !e.answered).map((e) => e.id);
  await proxy.stop(0);
  const ok = endpoints.length > 0 && missing.length === 0;
  return {
    ok,
    algorithm: config.algorithm.kind,
    requests: sent,
    statuses,
    elapsedMs: Date.now() - started,
    endpoints,
    missing,
    reason: ok
      ? undefined
      : endpoints.length === 0
        ? 'no endpoints discovered'
        : `endpoints that did not ${config.listener.protocol === 'tcp' ? 'accept a connection' : 'answer below 500'}: ${missing.join(', ')}`,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
