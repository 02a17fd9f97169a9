/**
 * Helpers for the TCP (L4) mode tests: raw TCP backends on 127.0.0.x, the proxy bundle with a tcp listener, raw
 * clients, and an endpoint that never answers a connect. Everything returned has a close(); tests call it.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import type { ProxyConfigInput } from '../../src/config';
import { get, startProxy } from './helpers';

export interface TcpBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly server: net.Server;
  /** Connections accepted so far, and those still open. */
  accepted: number;
  readonly open: Set<net.Socket>;
  /** Stops listening (new connects are refused); open connections stay. */
  stopListening(): Promise<void>;
  close(): Promise<void>;
}

export type TcpHandler = (socket: net.Socket, b: TcpBackend) => void;

/** Greets with its name and a newline, echoes what it receives, and ends its side when the client ends. */
export const greetEcho: TcpHandler = (s, b) => {
  s.write(`${b.name}\n`);
  s.pipe(s);
};

export async function startTcpBackend(host: string, handler: TcpHandler = greetEcho): Promise<TcpBackend> {
  const open = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true });
  const b = { name: host, host, port: 0, server, accepted: 0, open } as { -readonly [K in keyof TcpBackend]: TcpBackend[K] };
  server.on('connection', (s) => {
    b.accepted++;
    open.add(s);
    s.on('error', () => undefined);
    s.on('close', () => open.delete(s));
    handler(s, b);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  b.port = (server.address() as net.AddressInfo).port;
  b.stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  b.close = async () => {
    for (const s of open) s.destroy();
    await b.stopListening();
  };
  return b;
}

export interface TcpProxy {
  readonly child: ChildProcess;
  readonly host: string;
  readonly port: number;
  readonly adminPort: number;
  readonly stdout: () => string;
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** helpers.startProxy with `listener: { protocol: 'tcp' }`; stdout includes stderr, and stop() kills by default. */
export async function startTcpProxy(
  config: Omit<ProxyConfigInput, 'version' | 'listener' | 'admin'>,
  opts: { waitReady?: boolean } = {},
): Promise<TcpProxy> {
  const p = await startProxy(config, { ...opts, listener: { protocol: 'tcp' } });
  return { ...p, stdout: () => p.stdout() + p.stderr(), stop: (signal: NodeJS.Signals = 'SIGKILL') => p.stop(signal) };
}

/** A static source over TCP backends. */
export function tcpSource(backends: readonly TcpBackend[], weights: readonly number[] = []) {
  return {
    kind: 'static' as const,
    endpoints: backends.map((b, i) => ({ address: b.host, port: b.port, ...(weights[i] ? { weight: weights[i] } : {}) })),
  };
}

/** A raw client connection that records everything it receives, and how it ended. */
export interface Client {
  readonly socket: net.Socket;
  /** Everything received so far. */
  data(): string;
  /** Resolves with the first line (the backend's name, from greetEcho). */
  readonly greeting: Promise<string>;
  /** Resolves when the socket closed: 'end' after a clean FIN, else the error code. */
  readonly closed: Promise<string>;
  /** Resolves when the peer's FIN arrived. */
  readonly ended: Promise<void>;
}

export function connectClient(port: number, o: { host?: string; localAddress?: string; allowHalfOpen?: boolean } = {}): Client {
  const socket = net.connect({ port, host: o.host ?? '127.0.0.1', localAddress: o.localAddress, allowHalfOpen: o.allowHalfOpen ?? false });
  let buf = '';
  let error = '';
  let gotEnd = false;
  let greet!: (line: string) => void;
  let failGreet!: (e: Error) => void;
  const greeting = new Promise<string>((resolve, reject) => ((greet = resolve), (failGreet = reject)));
  greeting.catch(() => undefined);
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  socket.on('data', (d: Buffer) => {
    buf += d.toString();
    const nl = buf.indexOf('\n');
    if (nl >= 0) greet(buf.slice(0, nl));
  });
  socket.on('end', () => {
    gotEnd = true;
    markEnded();
  });
  socket.on('error', (e: NodeJS.ErrnoException) => (error ||= e.code ?? e.message));
  const closed = new Promise<string>((resolve) =>
    socket.on('close', () => {
      failGreet(new Error(`closed before a greeting (${error || (gotEnd ? 'end' : 'close')}); received ${JSON.stringify(buf)}`));
      resolve(error || (gotEnd ? 'end' : 'closed'));
    }),
  );
  return { socket, data: () => buf, greeting, closed, ended };
}

/** Opens a connection through the proxy, reads the greeting, and closes it; returns the backend's name. */
export async function oneConnection(port: number, localAddress?: string): Promise<string> {
  const c = connectClient(port, { localAddress });
  try {
    return await c.greeting;
  } finally {
    c.socket.end();
    await c.closed;
  }
}

/** A Prometheus sample's value from the proxy's /metrics (0 when absent). */
export async function metric(p: TcpProxy, sample: string): Promise<number> {
  const body = (await get(p.host, p.adminPort, '/metrics')).body;
  const line = body.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

export async function inFlightOf(p: TcpProxy): Promise<Record<string, number>> {
  const dump = JSON.parse((await get(p.host, p.adminPort, '/admin/endpoints')).body) as { endpoints: { id: string; inFlight: number }[] };
  return Object.fromEntries(dump.endpoints.map((e) => [e.id, e.inFlight]));
}

/**
 * An address that never answers a connect: a listener in a child process whose event loop is blocked, so it never
 * accepts; its accept queue (backlog 1) is filled first, after which the kernel drops further SYNs and a connect hangs
 * until the caller's timeout. Loopback only, no root needed.
 */
export async function startBlackhole(): Promise<{ host: string; port: number; close(): Promise<void> }> {
  const script =
    "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{" +
    "process.stdout.write(s.address().port+'\\n');setTimeout(()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0),20)})";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve) => child.stdout?.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  await new Promise((r) => setTimeout(r, 100));
  const fillers: net.Socket[] = [];
  // Connect until one hangs: from then on the queue is full.
  for (let i = 0; i < 8; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    fillers.push(s);
    const connected = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 300);
      s.once('connect', () => (clearTimeout(t), resolve(true)));
    });
    if (!connected) break;
  }
  return {
    host: '127.0.0.1',
    port,
    close: async () => {
      fillers.forEach((s) => s.destroy());
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.on('exit', r)));
    },
  };
}
