/**
 * Stand-ins for the gRPC and TCP "pods" of the end-to-end protocol tests, and their clients: gRPC with
 * @grpc/grpc-js and raw Buffer (de)serializers (no .proto, no codegen), TCP with node:net.
 */
import * as grpc from '@grpc/grpc-js';
import * as net from 'node:net';

const raw = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};

/** The methods every gRPC backend serves: unary Say, server-streaming Count, and the standard health check. */
const SERVICE: grpc.ServiceDefinition = {
  Say: { path: '/demo.Echo/Say', requestStream: false, responseStream: false, ...raw },
  Count: { path: '/demo.Echo/Count', requestStream: false, responseStream: true, ...raw },
};
const HEALTH: grpc.ServiceDefinition = {
  Check: { path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false, ...raw },
};
/** HealthCheckResponse { status: SERVING (1) }: field 1, varint. */
const SERVING = Buffer.from([0x08, 0x01]);

export interface GrpcBackend {
  readonly address: string;
  /** Unary calls answered. */
  calls: number;
  /** Health checks answered, with the service names asked about. */
  readonly healthChecks: string[];
  close(): Promise<void>;
}

/** Reads field 1 (the service name) of a HealthCheckRequest; short strings only, as tests send. */
function healthService(req: Buffer): string {
  return req.length >= 2 && req[0] === 0x0a ? req.subarray(2, 2 + req[1]).toString('utf8') : '';
}

/**
 * A gRPC "pod" on `address:port`: Say answers `pod <address>`, Count streams `n` messages (n = the request's first
 * byte), and grpc.health.v1.Health/Check answers SERVING. TLS when `tls` is given.
 */
export async function startGrpcBackend(address: string, port: number, tls?: { cert: Buffer; key: Buffer }): Promise<GrpcBackend> {
  const server = new grpc.Server();
  const backend: GrpcBackend = { address, calls: 0, healthChecks: [], close: async () => {} };
  server.addService(SERVICE, {
    Say: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      backend.calls++;
      cb(null, Buffer.from(`pod ${address}`));
    },
    Count: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const n = call.request[0] ?? 0;
      for (let i = 0; i < n; i++) call.write(Buffer.from(`${address} #${i}`));
      call.end();
    },
  });
  server.addService(HEALTH, {
    Check: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      backend.healthChecks.push(healthService(call.request));
      cb(null, SERVING);
    },
  });
  const credentials = tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }]) : grpc.ServerCredentials.createInsecure();
  await new Promise<void>((resolve, reject) => server.bindAsync(`${address}:${port}`, credentials, (e) => (e ? reject(e) : resolve())));
  backend.close = () => new Promise<void>((r) => server.tryShutdown(() => r()));
  return backend;
}

/** One client, so one HTTP/2 connection to `target`, whatever the number of calls. */
export function grpcClient(target: string, tls?: { ca: Buffer; serverName: string }): grpc.Client {
  const credentials = tls ? grpc.credentials.createSsl(tls.ca) : grpc.credentials.createInsecure();
  const options: grpc.ClientOptions = tls ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {};
  return new grpc.Client(target, credentials, { ...options, 'grpc.use_local_subchannel_pool': 1 });
}

export type CallResult = { ok: true; body: string } | { ok: false; code: grpc.status; details: string };

/** A unary call of `method` with a 5 s deadline. */
export function unary(client: grpc.Client, method: string, body = Buffer.from('hi')): Promise<CallResult> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, raw.requestSerialize, raw.responseDeserialize, body, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, res) =>
      resolve(err ? { ok: false, code: err.code, details: err.details } : { ok: true, body: res!.toString('utf8') }),
    );
  });
}

/** A server-streaming call of Count(n): the messages, then the status. */
export function countStream(client: grpc.Client, n: number): Promise<{ messages: string[]; code: grpc.status }> {
  return new Promise((resolve) => {
    const messages: string[] = [];
    const call = client.makeServerStreamRequest('/demo.Echo/Count', raw.requestSerialize, raw.responseDeserialize, Buffer.from([n]), new grpc.Metadata(), { deadline: Date.now() + 5000 });
    call.on('data', (m: Buffer) => messages.push(m.toString('utf8')));
    call.on('error', () => {});
    call.on('status', (s: grpc.StatusObject) => resolve({ messages, code: s.code }));
  });
}

export interface TcpBackend {
  readonly address: string;
  /** Connections accepted. */
  connections: number;
  close(): Promise<void>;
}

/** A TCP "pod": greets each connection with `pod <address>\n`, echoes what it reads, and ends when the client does. */
export async function startTcpBackend(address: string, port: number): Promise<TcpBackend> {
  const backend: TcpBackend = { address, connections: 0, close: async () => {} };
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    backend.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // a health check's connect may end in a reset
    socket.write(`pod ${address}\n`);
    socket.pipe(socket); // echo; the client's FIN ends our side after the echo is written (half-close)
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  backend.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return backend;
}

/** Connects to `port`, reads the greeting, sends `payload`, half-closes, and resolves to everything read until the end. */
export function tcpExchange(port: number, payload: string, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host, allowHalfOpen: true });
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => socket.destroy(new Error(`TCP exchange with ${host}:${port} timed out; read so far: ${JSON.stringify(text)}`)));
    socket.on('data', (d) => (text += d));
    socket.on('end', () => {
      socket.end();
      resolve(text);
    });
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(payload);
      socket.end();
    });
  });
}

/** A port the kernel has just handed out and taken back, for a proxy's listener or admin port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
