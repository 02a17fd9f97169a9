/**
 * The gRPC active health check (grpc.health.v1.Health/Check): the probe against a grpc-js server with a hand-written
 * health service, its protobuf bytes, and a proxy that moves traffic off an endpoint that says NOT_SERVING.
 */
import { UpstreamEndpoint } from '../../src/proxy/discovery/endpoint-set';
import { GrpcHealthProbe, grpcFrame, healthCheckRequest, servingStatus } from '../../src/proxy/health/grpc-probe';
import { cleanTmp, endpointsDump, RunningProxy, waitFor } from './helpers';
import { GrpcBackend, grpcClient, Impl, startGrpcBackend, startGrpcProxy, unarySpread } from './grpc-helpers';

jest.setTimeout(15_000);

const HOSTS = ['127.0.0.101', '127.0.0.102', '127.0.0.103'];
const SERVING = 1;
const NOT_SERVING = 2;

let backends: GrpcBackend[] = [];
let proxy: RunningProxy | undefined;

afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
  await Promise.all(backends.map((b) => b.close()));
  backends = [];
});
afterAll(cleanTmp);

interface HealthState {
  status: number;
  /** Never answer. */
  hang?: boolean;
  readonly services: string[];
  readonly peers: string[];
}

/** A Check handler answering `state.status`; records the service asked about (short names only) and the peer. */
function healthImpl(state: HealthState): Impl {
  return {
    Check: (call, cb) => {
      const req = call.request;
      state.services.push(req.length === 0 ? '' : req.subarray(2, 2 + req[1]).toString());
      state.peers.push(call.getPeer());
      if (!state.hang) cb(null, Buffer.from([0x08, state.status]));
    },
  };
}

const newState = (status = SERVING): HealthState => ({ status, services: [], peers: [] });

describe('the health protobufs', () => {
  test.each([
    ['SERVING', [0x08, 0x01], SERVING],
    ['NOT_SERVING', [0x08, 0x02], NOT_SERVING],
    ['an empty message (UNKNOWN, the default)', [], 0],
    ['an unknown field before the status', [0x12, 0x03, 0x61, 0x62, 0x63, 0x08, 0x01], SERVING],
    ['a truncated field', [0x12, 0x05, 0x61], -1],
  ])('reads the status of %s', (_name, bytes, expected) => {
    expect(servingStatus(grpcFrame(Buffer.from(bytes)))).toBe(expected);
  });

  test('fails to read a compressed or badly framed response', () => {
    expect(servingStatus(Buffer.from([1, 0, 0, 0, 2, 0x08, 0x01]))).toBe(-1);
    expect(servingStatus(Buffer.from([0, 0, 0, 0, 3, 0x08, 0x01]))).toBe(-1);
  });

  test('writes the service name as field 1', () => {
    expect(healthCheckRequest('')).toEqual(Buffer.alloc(0));
    expect(healthCheckRequest('a.B')).toEqual(Buffer.from([0x0a, 0x03, 0x61, 0x2e, 0x42]));
    expect(healthCheckRequest('x'.repeat(200)).subarray(0, 3)).toEqual(Buffer.from([0x0a, 0xc8, 0x01]));
  });
});

describe('the grpc.health.v1 probe', () => {
  const probeOf = (b: GrpcBackend) => new UpstreamEndpoint(`${b.host}:${b.port}`, b.host, b.port, 1, 'default');

  test('passes on SERVING and fails on NOT_SERVING, over one reused session, asking about the configured service', async () => {
    const state = newState();
    backends = [await startGrpcBackend(HOSTS[0], healthImpl(state))];
    const probe = new GrpcHealthProbe('test.Echo');
    const ep = probeOf(backends[0]);
    try {
      expect(await probe.probe(ep, '/', 1_000)).toBe(true);
      state.status = NOT_SERVING;
      expect(await probe.probe(ep, '/', 1_000)).toBe(false);
      state.status = SERVING;
      expect(await probe.probe(ep, '/', 1_000)).toBe(true);
      expect(state.services).toEqual(['test.Echo', 'test.Echo', 'test.Echo']);
      expect(new Set(state.peers).size).toBe(1);
      probe.forget(ep); // the endpoint left: its session closes; a later probe opens another
      expect(await probe.probe(ep, '/', 1_000)).toBe(true);
      expect(new Set(state.peers).size).toBe(2);
    } finally {
      probe.stop();
    }
  });

  test('fails when the server has no health service, and when it does not answer within the timeout', async () => {
    const state = newState();
    state.hang = true;
    backends = [await startGrpcBackend(HOSTS[0]), await startGrpcBackend(HOSTS[1], healthImpl(state))];
    const probe = new GrpcHealthProbe();
    try {
      expect(await probe.probe(probeOf(backends[0]), '/', 1_000)).toBe(false);
      const t0 = Date.now();
      expect(await probe.probe(probeOf(backends[1]), '/', 300)).toBe(false);
      expect(Date.now() - t0).toBeLessThan(600);
      expect(state.services).toEqual(['']);
    } finally {
      probe.stop();
    }
  });
});

describe('a grpc listener with healthCheck', () => {
  test('marks an endpoint that answers NOT_SERVING unhealthy and moves its traffic to the others', async () => {
    const states = HOSTS.map(() => newState());
    backends = await Promise.all(HOSTS.map((h, i) => startGrpcBackend(h, healthImpl(states[i]))));
    proxy = await startGrpcProxy(backends, {
      algorithm: { kind: 'round-robin' },
      healthCheck: { intervalMs: 200, timeoutMs: 150, healthyThreshold: 1, unhealthyThreshold: 2, grpcService: 'test.Echo' },
    });
    const p = proxy;
    const c = grpcClient(p);
    try {
      expect(await unarySpread(c, 30)).toEqual({ [HOSTS[0]]: 10, [HOSTS[1]]: 10, [HOSTS[2]]: 10 });
      states[0].status = NOT_SERVING;
      await waitFor(async () => (await endpointsDump(p)).endpoints.some((e) => !e.healthy), 3_000, 'an unhealthy endpoint');
      const dump = await endpointsDump(p);
      expect(dump.endpoints.filter((e) => !e.healthy).map((e) => e.id)).toEqual([`${HOSTS[0]}:${backends[0].port}`]);
      const after = await unarySpread(c, 30);
      console.log('after NOT_SERVING on', HOSTS[0], after, 'health checks it answered:', states[0].services.length);
      expect(after).toEqual({ [HOSTS[1]]: 15, [HOSTS[2]]: 15 });
      expect(new Set(states[0].services)).toEqual(new Set(['test.Echo']));
    } finally {
      c.close();
    }
  });
});
