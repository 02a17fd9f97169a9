/**
 * The tcp listener's cross-field rules: settings that need HTTP are refused with a fix, the rest is accepted.
 */
import { checkProxyConfig, validateProxyConfig } from '../../src/config';

const tcp = (extra: object = {}) => ({
  version: 1,
  listener: { protocol: 'tcp', port: 5432 },
  upstream: { port: 5432, sources: [{ kind: 'static', endpoints: [{ address: '10.0.0.1' }, { address: '10.0.0.2' }] }] },
  ...extra,
});

function issuesOf(input: unknown): { path: string; message: string }[] {
  const r = checkProxyConfig(input);
  if (r.ok) throw new Error('expected the config to be refused');
  return [...r.error.issues];
}

describe('tcp listener config', () => {
  test('accepts a tcp listener with its defaults and every algorithm that needs no HTTP', () => {
    const c = validateProxyConfig(tcp());
    expect(c.listener).toEqual({ protocol: 'tcp', host: '0.0.0.0', port: 5432 });
    for (const algorithm of [
      { kind: 'round-robin' },
      { kind: 'weighted-round-robin' },
      { kind: 'random' },
      { kind: 'least-connections' },
      { kind: 'power-of-two-choices' },
      { kind: 'peak-ewma' },
      { kind: 'consistent-hash', key: { source: 'source-ip' } },
    ]) {
      expect(checkProxyConfig(tcp({ algorithm })).ok).toBe(true);
    }
  });

  test('accepts a traffic split and a health check without grpcService', () => {
    const split = tcp({
      upstream: {
        port: 5432,
        sources: [
          { kind: 'static', subset: 'stable', endpoints: [{ address: '10.0.0.1' }] },
          { kind: 'static', subset: 'canary', endpoints: [{ address: '10.0.0.2' }] },
        ],
        trafficSplit: { stable: 90, canary: 10 },
      },
      healthCheck: { intervalMs: 1_000, timeoutMs: 200 },
    });
    expect(checkProxyConfig(split).ok).toBe(true);
  });

  test.each([
    ['header', { source: 'header', name: 'x-user' }, '"x-user"'],
    ['cookie', { source: 'cookie', name: 'session' }, '"session"'],
  ])('fails when consistent hashing keys on a %s, and names source-ip as the fix', (_what, key, name) => {
    const issues = issuesOf(tcp({ algorithm: { kind: 'consistent-hash', key } }));
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('algorithm.key');
    expect(issues[0].message).toContain(name);
    expect(issues[0].message).toContain('fix: use { source: "source-ip" }');
  });

  test('fails on least-utilization, which reads a response header a tcp listener never sees', () => {
    const issues = issuesOf(tcp({ algorithm: { kind: 'least-utilization' } }));
    expect(issues).toEqual([expect.objectContaining({ path: 'algorithm.kind' })]);
    expect(issues[0].message).toMatch(/response header .* fix: use least-connections/);
  });

  test('fails on healthCheck.grpcService, naming the value and the fix', () => {
    const issues = issuesOf(tcp({ healthCheck: { grpcService: 'db.v1.Store' } }));
    expect(issues).toEqual([expect.objectContaining({ path: 'healthCheck.grpcService' })]);
    expect(issues[0].message).toContain('"db.v1.Store"');
    expect(issues[0].message).toContain('fix: remove grpcService');
  });

  test('fails when a tcp listener is given TLS, an HTTP-only field', () => {
    const issues = issuesOf(tcp({ listener: { protocol: 'tcp', tls: { certFile: '/c', keyFile: '/k' } } }));
    expect(issues.map((i) => i.path)).toEqual(['listener']);
  });

  test('the same keys stay valid on an http listener', () => {
    expect(checkProxyConfig({ ...tcp({ algorithm: { kind: 'consistent-hash', key: { source: 'header', name: 'x-user' } } }), listener: { port: 8080 } }).ok).toBe(true);
  });
});
