/**
 * A Kubernetes API server double for discovery.k8s.io/v1 EndpointSlices, speaking the real wire protocol:
 *
 * - HTTPS with a certificate from test/fixtures/tls (checked by the client against ca.crt), bearer-token auth (401
 *   Status otherwise);
 * - GET .../namespaces/{ns}/endpointslices?labelSelector=kubernetes.io/service-name=X: an EndpointSliceList with
 *   metadata.resourceVersion;
 * - the same with watch=1&resourceVersion=N: newline-delimited JSON events (ADDED, MODIFIED, DELETED, BOOKMARK when
 *   allowWatchBookmarks=true, and ERROR with a 410 Status for a compacted resourceVersion), ended at timeoutSeconds.
 *
 * Object and event shapes follow the API reference: EndpointSlice {apiVersion, kind, metadata {name, namespace,
 * labels, resourceVersion}, addressType, ports [{name, port, protocol}], endpoints [{addresses, conditions {ready,
 * serving, terminating}, zone, nodeName}]}; events {type, object}.
 */
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export const TLS_DIR = path.join(__dirname, '../fixtures/tls');
export const CA_FILE = path.join(TLS_DIR, 'ca.crt');

export interface SliceEndpoint {
  readonly address: string;
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
  readonly zone?: string;
}

interface Stored {
  readonly namespace: string;
  readonly object: Record<string, unknown> & { metadata: { name: string; resourceVersion: string; labels: Record<string, string> } };
}

interface Event {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly stored: Stored;
}

export class KubeApiDouble {
  public readonly token = 'test-token-123';
  public port = 0;
  /** Requests seen, as "GET <path>". */
  public readonly requests: string[] = [];
  private readonly server: https.Server;
  private readonly slices = new Map<string, Stored>();
  private readonly events: Event[] = [];
  private rv = 100;
  /** Watches from below this resourceVersion get 410 Gone. */
  private compactedBelow = 0;
  private down = false;
  private readonly watchers = new Set<{ ns: string; service: string; send: (line: string) => void; end: () => void }>();

  public constructor(private readonly bookmarkMs = 500) {
    this.server = https.createServer({ key: readFileSync(path.join(TLS_DIR, 'server.key')), cert: readFileSync(path.join(TLS_DIR, 'server.crt')) }, (req, res) =>
      this.handle(req, res),
    );
  }

  public get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  public async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  public async close(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Creates or replaces a slice of `service` in `ns`. */
  public put(ns: string, service: string, name: string, port: number, endpoints: readonly SliceEndpoint[], hints: Record<string, string[]> = {}): void {
    const key = `${ns}/${name}`;
    const type = this.slices.has(key) ? 'MODIFIED' : 'ADDED';
    const rv = String(++this.rv);
    const object = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name, namespace: ns, resourceVersion: rv, labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port, protocol: 'TCP' }],
      endpoints: endpoints.map((e) => ({
        addresses: [e.address],
        conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
        ...(e.zone ? { zone: e.zone } : {}),
        ...(hints[e.address] ? { hints: { forZones: hints[e.address].map((z) => ({ name: z })) } } : {}),
        nodeName: `node-${e.address.split('.').pop()}`,
      })),
    };
    const stored = { namespace: ns, object };
    this.slices.set(key, stored);
    this.emit({ rv: this.rv, type, stored });
  }

  public remove(ns: string, name: string): void {
    const key = `${ns}/${name}`;
    const stored = this.slices.get(key);
    if (!stored) return;
    this.slices.delete(key);
    const rv = String(++this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', stored: { ...stored, object: { ...stored.object, metadata: { ...stored.object.metadata, resourceVersion: rv } } } });
  }

  /** Ends every open watch, as a restarting API server or a load balancer timeout would. */
  public dropWatches(): void {
    for (const w of [...this.watchers]) w.end();
  }

  /** Forgets history: a watch resuming from an older resourceVersion gets 410 Gone. */
  public compact(): void {
    this.compactedBelow = this.rv;
    this.events.length = 0;
  }

  /** While down, every request fails (503) and open watches end. */
  public setDown(down: boolean): void {
    this.down = down;
    if (down) this.dropWatches();
  }

  private emit(ev: Event): void {
    this.events.push(ev);
    for (const w of this.watchers) {
      if (w.ns === ev.stored.namespace && ev.stored.object.metadata.labels['kubernetes.io/service-name'] === w.service) {
        w.send(JSON.stringify({ type: ev.type, object: ev.stored.object }));
      }
    }
  }

  private status(res: import('node:http').ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
  }

  private handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
    this.requests.push(`${req.method} ${req.url}`);
    if (this.down) return this.status(res, 503, 'ServiceUnavailable', 'the API server is down (test)');
    if (req.headers.authorization !== `Bearer ${this.token}`) return this.status(res, 401, 'Unauthorized', 'Unauthorized');
    const url = new URL(req.url ?? '/', 'https://x');
    const m = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/.exec(url.pathname);
    if (!m || req.method !== 'GET') return this.status(res, 404, 'NotFound', `the double serves no ${req.method} ${url.pathname}`);
    const ns = decodeURIComponent(m[1]);
    const selector = url.searchParams.get('labelSelector') ?? '';
    const sm = /^kubernetes\.io\/service-name=([a-z0-9-]+)$/.exec(selector);
    if (!sm) return this.status(res, 400, 'BadRequest', `unsupported labelSelector ${selector}`);
    const service = sm[1];
    const matches = (s: Stored) => s.namespace === ns && s.object.metadata.labels['kubernetes.io/service-name'] === service;
    if (url.searchParams.get('watch') !== '1' && url.searchParams.get('watch') !== 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSliceList',
          metadata: { resourceVersion: String(this.rv) },
          items: [...this.slices.values()].filter(matches).map((s) => s.object),
        }),
      );
      return;
    }
    const from = Number(url.searchParams.get('resourceVersion') ?? '0');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    if (from < this.compactedBelow) {
      // What a real API server sends for a compacted resourceVersion: an ERROR event with a 410 Status.
      const expired = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${from} (${this.compactedBelow})`, reason: 'Expired', code: 410 };
      res.end(`${JSON.stringify({ type: 'ERROR', object: expired })}\n`);
      return;
    }
    const w = {
      ns,
      service,
      send: (line: string) => res.write(`${line}\n`),
      end: () => {
        this.watchers.delete(w);
        clearInterval(bookmarks);
        clearTimeout(timeout);
        res.end();
      },
    };
    for (const ev of this.events) if (ev.rv > from && matches(ev.stored)) w.send(JSON.stringify({ type: ev.type, object: ev.stored.object }));
    this.watchers.add(w);
    const bookmarks = setInterval(() => {
      if (url.searchParams.get('allowWatchBookmarks') === 'true') {
        w.send(JSON.stringify({ type: 'BOOKMARK', object: { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', metadata: { resourceVersion: String(this.rv) } } }));
      }
    }, this.bookmarkMs);
    const timeout = setTimeout(() => w.end(), Number(url.searchParams.get('timeoutSeconds') ?? '1800') * 1000);
    req.on('close', () => w.end());
  }
}
