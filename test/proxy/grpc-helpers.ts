/**
 * gRPC test helpers: @grpc/grpc-js servers and clients with a generic service (raw Buffers, identity serializers, no
 * proto files), a proxy with a grpc listener in front of them, and small promise wrappers around calls.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { cleanTmp, RunningProxy, startProxy } from './helpers';

const id = (b: Buffer): Buffer => b;
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/test.Echo/${name}`,
  requestStream,
  responseStream,
  requestSerialize: id,
  requestDeserialize: id,
  responseSerialize: id,
  responseDeserialize: id,
});

/** The test service: Unary, ServerStream and Bidi, each implemented per test. */
export const ECHO = {
  Unary: method('Unary', false, false),
  ServerStream: method('ServerStream', false, true),
  Bidi: method('Bidi', true, true),
} as const;

/** grpc.health.v1.Health, hand-written for the tests: raw protobuf bytes in and out. */
export const HEALTH = { Check: { ...method('Check', false, false), path: '/grpc.health.v1.Health/Check' } } as const;

export type UnaryHandler = grpc.handleUnaryCall<Buffer, Buffer>;
export type ServerStreamHandler = grpc.handleServerStreamingCall<Buffer, Buffer>;
export type BidiHandler = grpc.handleBidiStreamingCall<Buffer, Buffer>;

export interface Impl {
  Unary?: UnaryHandler;
  ServerStream?: ServerStreamHandler;
  Bidi?: BidiHandler;
  /** grpc.health.v1.Health/Check; absent: the server has no health service. */
  Check?: UnaryHandler;
}

export interface GrpcBackend {
  readonly host: string;
  readonly port: number;
  readonly server: grpc.Server;
  /** Calls received, by method name. */
  readonly calls: Record<string, number>;
  close(): Promise<void>;
}

const unimplemented = (call: { on?: unknown }, cb?: (e: grpc.ServiceError | null) => void) => {
  const err = { code: grpc.status.UNIMPLEMENTED, details: 'not in this test' } as grpc.ServiceError;
  if (cb) cb(err);
  else (call as grpc.ServerWritableStream<Buffer, Buffer>).emit('error', err);
};

/** A unary handler answering `<host>:<request>`. */
export const echoFrom =
  (host: string): UnaryHandler =>
  (call, cb) =>
    cb(null, Buffer.from(`${host}:${call.request.toString()}`));

export async function startGrpcBackend(host: string, impl: Impl = {}, port = 0): Promise<GrpcBackend> {
  const server = new grpc.Server();
  const calls: Record<string, number> = {};
  const count = <T extends (...a: never[]) => void>(name: string, f: T | undefined): T =>
    ((...a: Parameters<T>) => {
      calls[name] = (calls[name] ?? 0) + 1;
      (f ?? (unimplemented as unknown as T))(...a);
    }) as T;
  server.addService(ECHO, {
    Unary: count('Unary', impl.Unary ?? echoFrom(host)),
    ServerStream: count('ServerStream', impl.ServerStream),
    Bidi: count('Bidi', impl.Bidi),
  });
  if (impl.Check) server.addService(HEALTH, { Check: count('Check', impl.Check) });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { host, port: bound, server, calls, close: () => shutdown(server) };
}

/** Stops a server: graceful for 1 s, then forced (a test's hung call must not hold the suite). */
export function shutdown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 1_000);
    server.tryShutdown(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

const Client = grpc.makeGenericClientConstructor(ECHO, 'Echo');
export type EchoClient = InstanceType<typeof Client> & {
  Unary(req: Buffer, md: grpc.Metadata, o: grpc.CallOptions, cb: grpc.requestCallback<Buffer>): grpc.ClientUnaryCall;
  ServerStream(req: Buffer, md: grpc.Metadata, o: grpc.CallOptions): grpc.ClientReadableStream<Buffer>;
  Bidi(md: grpc.Metadata, o: grpc.CallOptions): grpc.ClientDuplexStream<Buffer, Buffer>;
};

/** One client, one channel: every call shares one HTTP/2 connection to the proxy. */
export function grpcClient(p: RunningProxy): EchoClient {
  return new Client(`${p.host}:${p.port}`, grpc.credentials.createInsecure(), {
    'grpc.enable_retries': 0,
  }) as EchoClient;
}

export interface UnaryResult {
  readonly value?: string;
  readonly code: number;
  readonly details?: string;
}

export function unary(c: EchoClient, req: string, deadlineMs = 5_000): Promise<UnaryResult> {
  return new Promise((resolve) =>
    c.Unary(Buffer.from(req), new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, v) =>
      resolve(err ? { code: err.code, details: err.details } : { code: 0, value: v?.toString() }),
    ),
  );
}

/** Which backend answered each of `n` unary calls (by the `<host>:` prefix), all in flight `concurrency` at a time. */
export async function unarySpread(c: EchoClient, n: number, concurrency = 1): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const r = await unary(c, `m${next++}`);
      const k = r.code === 0 ? String(r.value).split(':')[0] : `code ${r.code}`;
      counts[k] = (counts[k] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

/** A proxy with a grpc listener in front of `backends`. */
export function startGrpcProxy(backends: readonly { host: string; port: number }[], extra: object = {}): Promise<RunningProxy> {
  const source = { kind: 'static' as const, endpoints: backends.map((b) => ({ address: b.host, port: b.port })) };
  return startProxy({ upstream: { port: 1, sources: [source] }, ...extra } as never, { listener: { protocol: 'grpc' } });
}

/** The proxy process's resident memory in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export interface GrpcFixture {
  backends: GrpcBackend[];
  proxy: RunningProxy | undefined;
  client: EchoClient | undefined;
  /** One grpc-js backend per host (impls[i] on host i), a grpc proxy configured with `extra`, and a client of it. */
  setup(impls?: readonly Impl[], extra?: object): Promise<EchoClient>;
}

/** Backends, a proxy and a client per test, all stopped after each test. Call inside a `describe` or at top level. */
export function grpcFixture(hosts: readonly string[]): GrpcFixture {
  const fx: GrpcFixture = {
    backends: [],
    proxy: undefined,
    client: undefined,
    async setup(impls = [], extra = {}) {
      fx.backends = await Promise.all(hosts.map((h, i) => startGrpcBackend(h, impls[i])));
      fx.proxy = await startGrpcProxy(fx.backends, extra);
      return (fx.client = grpcClient(fx.proxy));
    },
  };
  afterEach(async () => {
    fx.client?.close();
    fx.client = undefined;
    await fx.proxy?.stop();
    fx.proxy = undefined;
    await Promise.all(fx.backends.map((b) => b.close()));
    fx.backends = [];
  });
  afterAll(cleanTmp);
  return fx;
}
