/**
 * DNS discovery of a headless Service: one A/AAAA record per ready pod.
 *
 * With explicit servers (config or LB_DNS_SERVERS) it asks them directly through `dns.promises.Resolver` and reads
 * record TTLs. Without, it uses the system resolver (`dns.lookup`, getaddrinfo), so resolv.conf search domains work
 * and `my-svc` resolves inside the pod's namespace; that path has no TTLs, so it refreshes every refreshIntervalMs.
 *
 * The next look-up is due at min(TTL, refreshIntervalMs), never sooner than MIN_REFRESH_MS. On any resolver error
 * the last good set stays: an outage of the DNS server must not empty the pool (the health checks and outlier
 * detection still guard the stale entries).
 */
import { promises as dnsPromises } from 'node:dns';
import type { Logger } from '../log';

export const MIN_REFRESH_MS = 1_000;

export interface DnsAnswer {
  readonly addresses: readonly string[];
  /** Smallest TTL of the answer in seconds; undefined when the resolver gives none. */
  readonly ttlSeconds?: number;
}

export type DnsResolve = (hostname: string, family: 0 | 4 | 6) => Promise<DnsAnswer>;

/** Parses "ip", "ip:port", "[v6]:port" the way `Resolver.setServers` wants them. */
export function normalizeServers(servers: readonly string[]): string[] {
  return servers.map((s) => s.trim()).filter((s) => s.length > 0);
}

function isNoData(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'ENODATA' || code === 'ENOTFOUND';
}

export function createResolve(servers: readonly string[] | undefined, timeoutMs: number): DnsResolve {
  if (!servers || servers.length === 0) {
    return async (hostname, family) => {
      const res = await dnsPromises.lookup(hostname, { all: true, family, verbatim: true });
      return { addresses: res.map((r) => r.address) };
    };
  }
  const resolver = new dnsPromises.Resolver({ timeout: timeoutMs, tries: 2 });
  resolver.setServers(normalizeServers(servers));
  type Records = { address: string; ttl: number }[];
  const one = (hostname: string, v: 4 | 6): Promise<Records> =>
    v === 4 ? resolver.resolve4(hostname, { ttl: true }) : resolver.resolve6(hostname, { ttl: true });
  return async (hostname, family) => {
    const settled = await Promise.allSettled(family === 0 ? [one(hostname, 4), one(hostname, 6)] : [one(hostname, family)]);
    // With both families asked, one answer is enough: an IPv4-only cluster answers AAAA with no data, and some
    // servers refuse AAAA outright. Only when no family answers is the look-up a failure.
    const parts = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (parts.length === 0) {
      const errors = settled.map((r) => (r as PromiseRejectedResult).reason as unknown);
      throw errors.find((e) => !isNoData(e)) ?? errors[0];
    }
    const records = parts.flat();
    const ttl = records.length > 0 ? Math.min(...records.map((r) => r.ttl)) : undefined;
    return { addresses: records.map((r) => r.address), ttlSeconds: ttl };
  };
}

export interface DnsWatchOptions {
  readonly hostname: string;
  readonly family: 0 | 4 | 6;
  readonly refreshIntervalMs: number;
  readonly resolve: DnsResolve;
  readonly log: Logger;
  /** Called with the sorted, de-duplicated addresses after each successful look-up. */
  readonly onAddresses: (addresses: readonly string[]) => void;
}

/** Next refresh delay for an answer: min(TTL, interval), floored at MIN_REFRESH_MS. */
export function refreshDelay(ttlSeconds: number | undefined, refreshIntervalMs: number): number {
  const ttlMs = ttlSeconds === undefined ? Infinity : ttlSeconds * 1000;
  return Math.max(MIN_REFRESH_MS, Math.min(ttlMs, refreshIntervalMs));
}

/** Resolves now and then on schedule until `stop()`. `first` settles after the first look-up, good or bad. */
export class DnsWatch {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  public lastError: string | undefined;
  public readonly first: Promise<void>;

  public constructor(private readonly o: DnsWatchOptions) {
    this.first = this.tick();
  }

  public stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    let delay = this.o.refreshIntervalMs;
    try {
      const answer = await this.o.resolve(this.o.hostname, this.o.family);
      this.lastError = undefined;
      this.o.onAddresses([...new Set(answer.addresses)].sort());
      delay = refreshDelay(answer.ttlSeconds, this.o.refreshIntervalMs);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (msg !== this.lastError) {
        this.o.log.warn('dns look-up failed; keeping the last good endpoint set', { hostname: this.o.hostname, err });
      }
      this.lastError = msg;
      delay = refreshDelay(undefined, Math.min(this.o.refreshIntervalMs, 5_000));
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }
}
