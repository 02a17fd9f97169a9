/**
 * What the end-to-end test needs to play kubelet on loopback: find the proxy containers in synthesized manifests, lay
 * their ConfigMap mounts out under a temp root, run their commands, and stand in for pods (HTTP backends) and for
 * cluster DNS (dnsmasq).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { promises as dnsPromises } from 'node:dns';
import * as path from 'node:path';

// Manifests are free-form YAML; the harness reads a few known fields.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: any };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export interface ProxyContainer {
  readonly role: 'gateway' | 'sidecar' | 'smoke';
  readonly workload: Manifest;
  readonly podSpec: Any;
  readonly container: Any;
}

function podSpecOf(o: Manifest): Any {
  if (o.kind === 'Pod') return o.spec;
  if (['Deployment', 'ReplicaSet', 'StatefulSet', 'Job', 'DaemonSet'].includes(o.kind)) return o.spec?.template?.spec;
  return undefined;
}

/** Every container that runs the proxy bundle (its command has `--config`), with the role it plays. */
export function proxyContainers(objects: readonly Manifest[]): ProxyContainer[] {
  const out: ProxyContainer[] = [];
  for (const workload of objects) {
    const podSpec = podSpecOf(workload);
    for (const container of podSpec?.containers ?? []) {
      const cmd: string[] = [...(container.command ?? []), ...(container.args ?? [])];
      if (!cmd.includes('--config')) continue;
      const role = cmd.includes('--smoke') ? 'smoke' : podSpec.containers.length > 1 ? 'sidecar' : 'gateway';
      out.push({ role, workload, podSpec, container });
    }
  }
  return out;
}

/**
 * Writes each ConfigMap- and Secret-backed mount of the container under `root`; returns the re-rooted command and the
 * files. A Secret's data is written decoded, as a kubelet does.
 */
export function layOutContainer(
  objects: readonly Manifest[],
  pc: ProxyContainer,
  root: string,
): { command: string[]; files: Record<string, string> } {
  const files: Record<string, string> = {};
  for (const mount of pc.container.volumeMounts ?? []) {
    const volume = (pc.podSpec.volumes ?? []).find((v: Any) => v.name === mount.name);
    if (volume?.secret) {
      layOutSecret(objects, volume.secret, path.join(root, mount.mountPath));
      continue;
    }
    if (!volume?.configMap) continue;
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name);
    if (!cm) throw new Error(`ConfigMap ${volume.configMap.name} mounted by ${pc.workload.metadata.name} is not in the output`);
    const items: { key: string; path: string }[] =
      volume.configMap.items ?? [...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})].map((key) => ({ key, path: key }));
    for (const item of items) {
      if (mount.subPath && mount.subPath !== item.path) continue;
      const target = mount.subPath ? path.join(root, mount.mountPath) : path.join(root, mount.mountPath, item.path);
      mkdirSync(path.dirname(target), { recursive: true });
      // A kubelet writes a binaryData value as its decoded bytes.
      const text: string | undefined = cm.data?.[item.key];
      const binary: string | undefined = cm.binaryData?.[item.key];
      if (text === undefined && binary === undefined) throw new Error(`ConfigMap ${cm.metadata.name} has no key ${item.key}`);
      writeFileSync(target, text ?? Buffer.from(binary as string, 'base64'));
      if (text !== undefined) files[item.key] = text;
    }
  }
  const command = [...(pc.container.command ?? []), ...(pc.container.args ?? [])].map((arg: string) =>
    arg.startsWith('/') ? path.join(root, arg) : arg,
  );
  if (command[0] !== 'node') throw new Error(`expected the proxy command to start with node, got ${command.join(' ')}`);
  return { command, files };
}

function layOutSecret(objects: readonly Manifest[], source: Any, dir: string): void {
  const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === source.secretName);
  if (!secret) throw new Error(`Secret ${source.secretName} is not in the output`);
  const items: { key: string; path: string }[] = source.items ?? Object.keys(secret.data ?? {}).map((key) => ({ key, path: key }));
  mkdirSync(dir, { recursive: true });
  for (const item of items) writeFileSync(path.join(dir, item.path), Buffer.from(secret.data[item.key], 'base64'));
}

/**
 * The container's view of its files, from outside: a path in the config (a TLS certificate, a CA bundle) that lies
 * under one of the container's mounts is re-rooted under `root`, as the command's own paths are.
 */
function reRootConfig(config: Any, pc: ProxyContainer, root: string): Any {
  const mounts: string[] = (pc.container.volumeMounts ?? []).map((m: Any) => m.mountPath as string);
  const walk = (v: Any): Any => {
    if (typeof v === 'string') return mounts.some((m) => v.startsWith(`${m}/`)) ? path.join(root, v) : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, walk(c)]));
    return v;
  };
  return walk(config);
}

/** Ports a test moves the proxy to, so that end-to-end files running at once do not collide on 8080 and 9901. */
export interface PortOverride {
  readonly listener: number;
  readonly admin: number;
}

export function getText(port: number, p: string, host = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: p, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(3000, () => req.destroy(new Error(`GET ${host}:${port}${p} timed out`)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running proxy process, started with the container's own command. */
export class ProxyProcess {
  /** `node` is the Node binary standing in for the container's (this process's Node, or the pod's 24.11.1). */
  static async start(
    objects: readonly Manifest[],
    pc: ProxyContainer,
    root: string,
    dns: string,
    node = process.execPath,
    ports?: PortOverride,
  ): Promise<ProxyProcess> {
    const { command, files } = layOutContainer(objects, pc, root);
    const original = JSON.parse(files['config.json']);
    let config = reRootConfig(original, pc, root);
    if (ports !== undefined) config = { ...config, listener: { ...config.listener, port: ports.listener }, admin: { ...config.admin, port: ports.admin } };
    if (JSON.stringify(config) !== JSON.stringify(original)) writeFileSync(command[command.indexOf('--config') + 1], JSON.stringify(config));
    const child = spawn(node, command.slice(1), {
      env: { ...process.env, ...containerEnv(pc), LB_DNS_SERVERS: dns },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ProxyProcess(child, config.listener.host, config.listener.port, config.admin.port);
  }

  /** Runs a command to completion (the smoke Job), bounded by `timeoutMs`. */
  static async run(
    objects: readonly Manifest[],
    pc: ProxyContainer,
    root: string,
    dns: string,
    timeoutMs: number,
    extraArgs: string[] = [],
  ): Promise<{ code: number | null; output: string }> {
    const { command } = layOutContainer(objects, pc, root);
    const child = spawn(process.execPath, [...command.slice(1), ...extraArgs], {
      env: { ...process.env, ...containerEnv(pc), LB_DNS_SERVERS: dns },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    clearTimeout(timer);
    return { code, output };
  }

  output = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly listenHost: string,
    readonly listenPort: number,
    readonly adminPort: number,
  ) {
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    this.exited = new Promise((r) => child.on('exit', (c) => r(c)));
  }

  async waitFor(check: () => Promise<boolean>, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`proxy exited early (${this.child.exitCode}):\n${this.output}`);
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms; proxy output:\n${this.output}`);
      await sleep(50);
    }
  }

  waitReady(ms: number): Promise<void> {
    return this.waitFor(async () => (await getText(this.adminPort, '/readyz')).status === 200, ms);
  }

  async endpointIds(): Promise<string[]> {
    const dump = JSON.parse((await getText(this.adminPort, '/admin/endpoints')).body);
    return dump.endpoints.map((e: { id: string }) => e.id);
  }

  /** SIGTERM, as the kubelet sends; resolves to the exit code (SIGKILL after 15 s). */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/**
 * The namespace the end-to-end pods "run" in, as `kubectl apply -n team-e2e -f dist/` would put them: the example
 * chart sets none, so the proxies learn it from the downward API (metadata.namespace), filled in here.
 */
export const E2E_NAMESPACE = 'team-e2e';

function containerEnv(pc: ProxyContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of pc.container.env ?? []) {
    if (typeof e.value === 'string') env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = E2E_NAMESPACE;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName') env[e.name] = 'node-e2e';
    else if (e.valueFrom) throw new Error(`the harness cannot fill env ${e.name} from ${JSON.stringify(e.valueFrom)}`);
  }
  return env;
}

export interface Backend {
  readonly address: string;
  count: number;
  close(): Promise<void>;
}

/** A "pod": answers `pod <address>` and counts requests. */
export async function startBackend(address: string, port: number): Promise<Backend> {
  const backend = { address, count: 0, close: async () => {} };
  const server = http.createServer((_req, res) => {
    backend.count++;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`pod ${address}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  backend.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return backend;
}

export function findDnsmasq(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  return dirs.map((d) => path.join(d, 'dnsmasq')).find((p) => existsSync(p));
}

/** dnsmasq on 127.0.0.1:<port>, answering `hostname` from a hosts file that the test rewrites (SIGHUP re-reads it). */
export class Dnsmasq {
  static async start(bin: string, dir: string, hostname: string, addresses: string[]): Promise<Dnsmasq> {
    chmodSync(dir, 0o755); // dnsmasq reads the hosts file after dropping to an unprivileged user
    const port = 20000 + Math.floor(Math.random() * 20000);
    const d = new Dnsmasq(bin, path.join(dir, 'pods.hosts'), hostname, port);
    d.setRecords(addresses, false);
    d.child = spawn(
      bin,
      [
        '--keep-in-foreground',
        '--no-resolv',
        '--no-hosts',
        `--addn-hosts=${d.hostsFile}`,
        `--port=${port}`,
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--local-ttl=1',
        '--pid-file=',
        '--log-facility=-',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    d.child.stderr!.on('data', (x) => (d.log += x));
    await d.waitFor(addresses.length);
    return d;
  }

  child?: ChildProcess;
  log = '';

  private constructor(
    readonly bin: string,
    readonly hostsFile: string,
    readonly hostname: string,
    readonly port: number,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  setRecords(addresses: readonly string[], reload = true): void {
    writeFileSync(this.hostsFile, addresses.map((a) => `${a} ${this.hostname}\n`).join(''), { mode: 0o644 });
    if (reload) this.child?.kill('SIGHUP');
  }

  private async waitFor(count: number): Promise<void> {
    const resolver = new dnsPromises.Resolver({ timeout: 200, tries: 1 });
    resolver.setServers([this.address]);
    const deadline = Date.now() + 5000;
    for (;;) {
      const got = await resolver.resolve4(this.hostname).catch(() => []);
      if (got.length === count) return;
      if (Date.now() > deadline) throw new Error(`dnsmasq did not answer ${this.hostname}:\n${this.log}`);
      await sleep(50);
    }
  }

  stop(): void {
    this.child?.kill('SIGTERM');
  }
}
