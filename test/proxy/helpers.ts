/**
 * Test helpers: backends on 127.0.0.x, the proxy bundle spawned as the container runs it, and small HTTP clients.
 * Everything returned has a close(); tests call it in afterEach/afterAll.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProxyConfigInput } from '../../src/config';
import { PROXY_NODE } from './runtime';

/** The proxy under test; LB_PROXY_BUNDLE points the suites at another build (for example the previous release). */
export const BUNDLE = process.env.LB_PROXY_BUNDLE ?? join(__dirname, '../../lib/proxy.bundle.js');
export { PROXY_NODE };
/** A build from before shutdownDelayMs and friends: it refuses config keys it does not know. */
const LEGACY = process.env.LB_PROXY_BUNDLE !== undefined;

export function requireBundle(): void {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing; run \`npm run build\` before the proxy tests`);
}

export interface Backend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly server: http.Server;
  /** Requests seen, by method + url. */
  readonly seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, b: Backend) => void;

export const defaultHandler: Handler = (req, res, b) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('x-backend', b.name);
    res.end(`${b.name}\n`);
  });
};

export async function startBackend(host: string, handler: Handler = defaultHandler, port = 0): Promise<Backend> {
  const seen: Backend['seen'] = [];
  const server = http.createServer({ keepAliveTimeout: 30_000 });
  const b = { name: host, host, port: 0, server, seen } as { -readonly [K in keyof Backend]: Backend[K] };
  server.on('request', (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res, b);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  b.port = (server.address() as AddressInfo).port;
  b.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return b;
}

/** A free TCP port on 127.0.0.1 (bind, read, close). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, host, () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface RunningProxy {
  readonly child: ChildProcess;
  readonly port: number;
  readonly adminPort: number;
  readonly host: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

let tmp: string | undefined;
export function tmpFile(name: string, content: string): string {
  tmp ??= mkdtempSync(join(tmpdir(), 'lb-proxy-test-'));
  const p = join(tmp, `${Date.now()}-${Math.random().toString(36).slice(2)}-${name}`);
  writeFileSync(p, content);
  return p;
}
export function cleanTmp(): void {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
}

/** Spawns `node lib/proxy.bundle.js --config <tmp>` and waits for /readyz 200 (unless `waitReady` is false). */
export async function startProxy(
  config: Omit<ProxyConfigInput, 'version' | 'listener' | 'admin'> & Partial<Pick<ProxyConfigInput, 'version'>>,
  opts: {
    waitReady?: boolean;
    env?: NodeJS.ProcessEnv;
    host?: string;
    /** The Node binary to run the proxy on (default PROXY_NODE). */
    node?: string;
    /** Listener fields besides host and port (protocol, maxConnectionAgeMs, ...). */
    listener?: Record<string, unknown>;
  } = {},
): Promise<RunningProxy> {
  requireBundle();
  const host = opts.host ?? '127.0.0.1';
  const port = await freePort(host);
  let adminPort = await freePort(host);
  while (adminPort === port) adminPort = await freePort(host);
  // No shutdown delay unless a test asks for one: teardown sends SIGTERM and should not wait 5 s.
  const full = { version: 1, listener: { ...opts.listener, host, port }, admin: { host, port: adminPort }, ...(LEGACY ? {} : { shutdownDelayMs: 0 }), ...config };
  const file = tmpFile('config.json', JSON.stringify(full));
  const child = spawn(opts.node ?? PROXY_NODE, [BUNDLE, '--config', file], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const p: RunningProxy = {
    child,
    port,
    adminPort,
    host,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
  if (opts.waitReady !== false) {
    try {
      await waitFor(async () => (await get(host, adminPort, '/readyz')).status === 200, 5_000, 'proxy ready');
    } catch (e) {
      await p.stop('SIGKILL');
      throw new Error(`${(e as Error).message}\nstdout:\n${out}\nstderr:\n${err}`);
    }
  }
  return p;
}

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export function request(
  host: string,
  port: number,
  path: string,
  o: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer; agent?: http.Agent | false } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, path, method: o.method ?? 'GET', headers: o.headers, agent: o.agent ?? false, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(o.body);
  });
}

export const get = (host: string, port: number, path: string, headers?: http.OutgoingHttpHeaders) =>
  request(host, port, path, { headers });

export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      if (await cond()) return;
    } catch (e) {
      last = e;
    }
    await sleep(25);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Counts which backend answered each of `n` requests (by the x-backend header). */
export async function spread(
  proxy: RunningProxy,
  n: number,
  headers: (i: number) => http.OutgoingHttpHeaders = () => ({}),
  agent?: http.Agent,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await request(proxy.host, proxy.port, '/', { headers: headers(i), agent });
    const k = r.status === 200 ? String(r.headers['x-backend']) : `status ${r.status}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

export async function endpointsDump(p: RunningProxy): Promise<{
  ready: boolean;
  endpoints: { id: string; healthy: boolean; ejected: boolean; successes: number; failures: number }[];
}> {
  const r = await get(p.host, p.adminPort, '/admin/endpoints');
  return JSON.parse(r.body);
}

/** A static discovery source listing `backends`, with `weights[i]` on backend i where given. */
export function staticSource(backends: readonly Backend[], weights: readonly number[] = []) {
  return {
    kind: 'static' as const,
    endpoints: backends.map((b, i) => ({ address: b.host, port: b.port, ...(weights[i] ? { weight: weights[i] } : {}) })),
  };
}

export interface ProxyFixture {
  backends: Backend[];
  proxy: RunningProxy | undefined;
  /**
   * Starts one backend per host (handler i on host i) and a proxy in front of them, configured with `extra`.
   * @param options.hosts default: the fixture's hosts
   */
  setup(
    extra: object,
    handlers?: readonly Handler[],
    options?: { readonly hosts?: readonly string[]; readonly weights?: readonly number[] },
  ): Promise<RunningProxy>;
}

/** Backends and one proxy per test, stopped after each test. Call inside a `describe`. */
export function proxyFixture(hosts: readonly string[]): ProxyFixture {
  const fx: ProxyFixture = {
    backends: [],
    proxy: undefined,
    async setup(extra, handlers = [], options = {}) {
      const on = options.hosts ?? hosts;
      fx.backends = await Promise.all(on.map((h, i) => startBackend(h, handlers[i] ?? defaultHandler)));
      const source = staticSource(fx.backends, options.weights);
      fx.proxy = await startProxy({ upstream: { port: 1, sources: [source] }, ...extra } as never);
      return fx.proxy;
    },
  };
  afterEach(async () => {
    await fx.proxy?.stop();
    fx.proxy = undefined;
    await Promise.all(fx.backends.map((b) => b.close()));
    fx.backends = [];
  });
  afterAll(cleanTmp);
  return fx;
}
