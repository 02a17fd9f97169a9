/**
 * A list-and-watch of one Service's EndpointSlices on the Kubernetes API, following the API conventions:
 *
 * - list, then watch from the list's resourceVersion with bookmarks (`allowWatchBookmarks=true`), so a renewed watch
 *   resumes where the last one ended instead of replaying or missing events;
 * - an expired resourceVersion (HTTP 410 Gone, or an ERROR event with code 410) means: list again;
 * - any other failure: back off (exponential, full jitter, 250 ms to 30 s) and retry, keeping the last good set, so
 *   that an API server outage never empties the pool; `staleSince` says since when the view may be out of date.
 *
 * It runs on node:https (node:http for a plain URL), which the bundle has anyway; `@kubernetes/client-node` would
 * have added megabytes to a bundle that must fit a ConfigMap. The token is re-read for every request, so a rotated
 * projected token is picked up.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Logger } from '../log';
import type { EndpointSlice } from './slices';

export interface SliceWatchOptions {
  /** e.g. https://10.96.0.1:443 */
  readonly apiServer: string;
  readonly namespace: string;
  readonly service: string;
  readonly tokenFile: string;
  readonly caFile: string;
  readonly resyncMs: number;
  readonly log: Logger;
  /** Every time the set of slices changed (after a list, or after each watch event). */
  readonly onSlices: (slices: readonly EndpointSlice[]) => void;
  /** Uniform in [0, 1), for the jitter. */
  readonly random?: () => number;
}

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;

class Gone extends Error {}

interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: EndpointSlice & { code?: number; message?: string };
}

export class SliceWatch {
  /** Settles after the first list, successful or not. */
  public readonly first: Promise<void>;
  /** When the view stopped being known current (ms since epoch); undefined while a watch is up to date. */
  public staleSince: number | undefined = Date.now();
  private readonly slices = new Map<string, EndpointSlice>();
  private resourceVersion: string | undefined;
  private stopped = false;
  private failures = 0;
  private current: http.ClientRequest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settleFirst!: () => void;

  public constructor(private readonly o: SliceWatchOptions) {
    this.first = new Promise((resolve) => (this.settleFirst = resolve));
    void this.loop();
  }

  public stop(): void {
    this.stopped = true;
    this.current?.destroy();
    if (this.timer) clearTimeout(this.timer);
    this.settleFirst();
  }

  private get path(): string {
    const selector = encodeURIComponent(`kubernetes.io/service-name=${this.o.service}`);
    return `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(this.o.namespace)}/endpointslices?labelSelector=${selector}`;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) await this.list();
        this.failures = 0;
        const started = Date.now();
        await this.watch();
        // A watch the server ends at once (a proxy in between, a misconfigured timeout) must not become a busy loop.
        if (Date.now() - started < 1_000 && !this.stopped) await this.sleep(1_000);
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof Gone) {
          this.o.log.info('endpointslice watch expired (410 Gone); listing again', { service: this.o.service });
          this.resourceVersion = undefined;
          continue;
        }
        this.staleSince ??= Date.now();
        this.settleFirst();
        const delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.failures) * (this.o.random ?? Math.random)();
        this.failures++;
        this.o.log.warn('endpointslice watch failed; keeping the last endpoints', {
          service: this.o.service,
          error: (err as Error).message,
          retryInMs: Math.round(delay),
        });
        await this.sleep(Math.max(MIN_BACKOFF_MS / 4, delay));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => (this.timer = setTimeout(resolve, ms)));
  }

  private async list(): Promise<void> {
    const res = await this.request(this.path);
    const body = await readBody(res);
    if (res.statusCode !== 200) throw httpError(res.statusCode, body);
    const list = JSON.parse(body) as { metadata?: { resourceVersion?: string }; items?: EndpointSlice[] };
    this.slices.clear();
    for (const s of list.items ?? []) this.slices.set(s.metadata?.name ?? '', s);
    this.resourceVersion = list.metadata?.resourceVersion;
    this.publish();
    this.settleFirst();
  }

  private async watch(): Promise<void> {
    const timeoutSeconds = Math.max(1, Math.round(this.o.resyncMs / 1000));
    const rv = encodeURIComponent(this.resourceVersion ?? '');
    const res = await this.request(`${this.path}&watch=1&allowWatchBookmarks=true&resourceVersion=${rv}&timeoutSeconds=${timeoutSeconds}`);
    if (res.statusCode === 410) throw new Gone();
    if (res.statusCode !== 200) throw httpError(res.statusCode, await readBody(res));
    this.staleSince = undefined;
    let buffered = '';
    res.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line.length === 0) continue;
          try {
            this.apply(JSON.parse(line) as WatchEvent);
          } catch (err) {
            res.destroy();
            reject(err instanceof Gone ? err : new Error(`bad watch event: ${(err as Error).message}`));
            return;
          }
        }
      });
      res.on('end', resolve);
      res.on('error', reject);
      res.on('close', () => (res.complete ? resolve() : reject(new Error('watch connection closed'))));
    });
  }

  private apply(ev: WatchEvent): void {
    const name = ev.object?.metadata?.name ?? '';
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.slices.set(name, ev.object);
        break;
      case 'DELETED':
        this.slices.delete(name);
        break;
      case 'BOOKMARK':
        break;
      case 'ERROR':
        if (ev.object?.code === 410) throw new Gone();
        throw new Error(`watch error ${ev.object?.code ?? '?'}: ${ev.object?.message ?? 'no message'}`);
      default:
        throw new Error(`unknown watch event type ${JSON.stringify((ev as { type?: unknown }).type)}`);
    }
    this.resourceVersion = ev.object?.metadata?.resourceVersion ?? this.resourceVersion;
    if (ev.type !== 'BOOKMARK') this.publish();
  }

  private publish(): void {
    this.o.onSlices([...this.slices.values()]);
  }

  private request(path: string): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      if (this.stopped) return reject(new Error('stopped'));
      const url = new URL(path, this.o.apiServer);
      const tls = url.protocol === 'https:';
      const headers = { authorization: `Bearer ${readFileSync(this.o.tokenFile, 'utf8').trim()}`, accept: 'application/json' };
      const options: https.RequestOptions = { method: 'GET', headers, timeout: this.o.resyncMs + 30_000 };
      if (tls) options.ca = readFileSync(this.o.caFile);
      const req = (tls ? https : http).request(url, options, resolve);
      req.on('timeout', () => req.destroy(new Error('API request timed out')));
      req.on('error', reject);
      req.end();
      this.current = req;
    });
  }
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (body += c));
    res.on('end', () => resolve(body));
    res.on('error', reject);
  });
}

function httpError(status: number | undefined, body: string): Error {
  if (status === 410) return new Gone();
  let message = body.slice(0, 200);
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? message;
  } catch {
    // not a Status object
  }
  return new Error(`API server answered ${status}: ${message}`);
}

/** The API server of an in-cluster pod: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT. */
export function inClusterApiServer(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host) return undefined;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
