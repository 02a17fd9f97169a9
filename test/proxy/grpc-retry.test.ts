/**
 * gRPC UNAVAILABLE retries: grpc-retry-pushback-ms (a pause, or "do not retry"), the attempt limit, the retry budget,
 * and the kept-body limit (limits.retryBufferBytes) past which a call is not sent again.
 */
import * as grpc from '@grpc/grpc-js';
import { grpcFixture, Impl, unary } from './grpc-helpers';

jest.setTimeout(15_000);

const HOSTS = ['127.0.0.121', '127.0.0.122', '127.0.0.123'];
const fx = grpcFixture(HOSTS);

/** UNAVAILABLE, with grpc-retry-pushback-ms when given. */
function unavailable(pushback?: string): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  if (pushback !== undefined) metadata.set('grpc-retry-pushback-ms', pushback);
  return { code: grpc.status.UNAVAILABLE, details: 'busy', metadata } as grpc.ServiceError;
}

/** Every backend answers UNAVAILABLE to the first `failures` calls in all, then echoes. */
function failFirst(failures: number, pushback?: string): Impl[] {
  let left = failures;
  return HOSTS.map((h) => ({
    Unary: (call, cb) => (left-- > 0 ? cb(unavailable(pushback)) : cb(null, Buffer.from(`${h}:${call.request.length}`))),
  }));
}

const calls = () => fx.backends.reduce((n, b) => n + (b.calls.Unary ?? 0), 0);

describe('UNAVAILABLE retries', () => {
  test('waits the grpc-retry-pushback-ms the backend asked for before the retry', async () => {
    const c = await fx.setup(failFirst(1, '300'));
    const t0 = Date.now();
    const r = await unary(c, 'x');
    const took = Date.now() - t0;
    console.log(`pushback 300 ms: the call took ${took} ms over ${calls()} tries`);
    expect(r.code).toBe(0);
    expect(calls()).toBe(2);
    expect(took).toBeGreaterThanOrEqual(290);
  });

  test('fails with UNAVAILABLE after one try when the backend sends a negative grpc-retry-pushback-ms', async () => {
    const c = await fx.setup(failFirst(1, '-1'));
    const r = await unary(c, 'x');
    expect(r.code).toBe(grpc.status.UNAVAILABLE);
    expect(calls()).toBe(1);
  });

  test('fails with UNAVAILABLE after 1 + retries.attempts tries, each on another backend, when all answer UNAVAILABLE', async () => {
    const c = await fx.setup(failFirst(1_000), { retries: { attempts: 2 } });
    const r = await unary(c, 'x');
    expect(r.code).toBe(grpc.status.UNAVAILABLE);
    expect(fx.backends.map((b) => b.calls.Unary)).toEqual([1, 1, 1]);
  });

  test('keeps UNAVAILABLE retries within the retry budget', async () => {
    const c = await fx.setup(failFirst(1_000), {
      retries: { attempts: 2, budget: { ratio: 0, minRetriesPerSecond: 3 } },
      outlierDetection: { consecutiveFailures: 1_000 },
    });
    const t0 = Date.now();
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await unary(c, 'x'));
    const seconds = Math.ceil((Date.now() - t0) / 1_000);
    console.log(`budget 3 retries/s: 20 failing calls in ${Date.now() - t0} ms made ${calls()} tries`);
    expect(results.every((r) => r.code === grpc.status.UNAVAILABLE)).toBe(true);
    expect(calls()).toBeGreaterThanOrEqual(23);
    expect(calls()).toBeLessThanOrEqual(20 + 3 * seconds);
  });

  test.each([
    ['is retried with its body when the body fits limits.retryBufferBytes', 512, 0, 2],
    ['fails with UNAVAILABLE, not retried, when its body is larger than limits.retryBufferBytes', 4_096, grpc.status.UNAVAILABLE, 1],
  ])('a call answered UNAVAILABLE %s', async (_name, size, code, tries) => {
    const c = await fx.setup(failFirst(1), { limits: { retryBufferBytes: 1_024 } });
    const r = await unary(c, 'y'.repeat(size));
    expect(r.code).toBe(code);
    if (code === 0) expect(r.value).toMatch(new RegExp(`:${size}$`)); // the backend got the whole body again
    expect(calls()).toBe(tries);
  });
});
