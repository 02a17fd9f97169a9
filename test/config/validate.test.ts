import {
  ALGORITHM_KINDS,
  CONFIG_VERSION,
  ConfigError,
  checkProxyConfig,
  proxyConfigJsonSchema,
  validateProxyConfig,
} from '../../src/config';

const minimal = () => ({
  version: CONFIG_VERSION,
  upstream: { port: 8080, sources: [{ kind: 'dns', hostname: 'app-headless.default.svc.cluster.local' }] },
});

function issuesOf(input: unknown): { path: string; message: string }[] {
  const r = checkProxyConfig(input);
  if (r.ok) throw new Error('expected the config to be refused');
  return [...r.error.issues];
}

describe('validateProxyConfig', () => {
  test('applies the documented defaults to a minimal config', () => {
    const c = validateProxyConfig(minimal());
    expect(c.listener).toEqual({ host: '0.0.0.0', port: 8080, maxConnectionAgeJitterPercent: 10 });
    expect(c.admin.port).toBe(9901);
    expect(c.algorithm).toEqual({ kind: 'round-robin' });
    expect(c.upstream.sources[0]).toMatchObject({ subset: 'default', weight: 1, family: 0, refreshIntervalMs: 5000 });
    expect(c.retries).toEqual({
      attempts: 2,
      retryOn: ['connect-failure', 'reset', '502', '503', '504', 'unavailable'],
      budget: { ratio: 0.2, minRetriesPerSecond: 10 },
    });
    expect(c.healthCheck).toBeUndefined();
  });

  test('returns a deeply frozen config', () => {
    const c = validateProxyConfig(minimal());
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.upstream.sources[0])).toBe(true);
    expect(() => {
      (c.limits as { maxInFlight: number }).maxInFlight = 1;
    }).toThrow(TypeError);
  });

  test('does not modify its input', () => {
    const input = minimal();
    validateProxyConfig(input);
    expect(input).toEqual(minimal());
  });

  test.each([
    [{ kind: 'peak-ewma' }, { kind: 'peak-ewma', decayMs: 10000, failurePenaltyMs: 1000 }],
    [
      { kind: 'consistent-hash', key: { source: 'cookie', name: 'sid' } },
      { kind: 'consistent-hash', key: { source: 'cookie', name: 'sid' }, loadFactor: 1.25, virtualNodes: 100 },
    ],
    [{ kind: 'least-utilization' }, { kind: 'least-utilization', header: 'x-backend-load', staleAfterMs: 10000 }],
  ])('defaults the parameters of %j', (algorithm, expected) => {
    expect(validateProxyConfig({ ...minimal(), algorithm }).algorithm).toEqual(expected);
  });

  test('knows all eight algorithm kinds', () => {
    expect([...ALGORITHM_KINDS].sort()).toEqual(
      [
        'consistent-hash',
        'least-connections',
        'least-utilization',
        'peak-ewma',
        'power-of-two-choices',
        'random',
        'round-robin',
        'weighted-round-robin',
      ].sort(),
    );
  });

  test('fails when the version is newer than this code understands, with its own code', () => {
    const r = checkProxyConfig({ ...minimal(), version: CONFIG_VERSION + 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('LB_CONFIG_VERSION');
      expect(r.error.message).toMatch(/version 2 is newer than this proxy understands \(1\); upgrade/);
    }
  });

  test('fails when the version is missing', () => {
    const { version: _omit, ...rest } = minimal();
    expect(issuesOf(rest).map((i) => i.path)).toContain('version');
  });

  test('fails when consistent hashing has no key, and says how to give one', () => {
    const [issue] = issuesOf({ ...minimal(), algorithm: { kind: 'consistent-hash' } });
    expect(issue.path).toBe('algorithm.key');
    expect(issue.message).toMatch(/fix: consistent hashing needs a key/);
  });

  test('fails when a traffic split names an unknown subset', () => {
    const m = minimal() as { upstream: object };
    const [issue] = issuesOf({ ...m, upstream: { ...m.upstream, trafficSplit: { default: 1, canary: 1 } } });
    expect(issue.path).toBe('upstream.trafficSplit.canary');
    expect(issue.message).toMatch(/no discovery source declares; known subsets: default/);
  });

  test('fails when a traffic split leaves a subset out, or gives every subset 0', () => {
    const m = minimal() as { upstream: object };
    expect(issuesOf({ ...m, upstream: { ...m.upstream, trafficSplit: {} } })).toEqual([
      { path: 'upstream.trafficSplit.default', message: 'subset "default" has no share; give every subset one (0 sends it no requests)' },
    ]);
    expect(issuesOf({ ...m, upstream: { ...m.upstream, trafficSplit: { default: 0 } } })).toEqual([
      { path: 'upstream.trafficSplit', message: 'every share is 0, so no request could be sent; give one subset a share > 0' },
    ]);
  });

  test('subset weights in their old place get a hint that names the new one', () => {
    const [issue] = issuesOf({ ...minimal(), algorithm: { kind: 'weighted-round-robin', subsetWeights: { default: 1 } } });
    expect(issue.path).toBe('algorithm');
    expect(issue.message).toMatch(/fix: subset weights moved to upstream\.trafficSplit/);
  });

  test.each([
    ['a negative traffic share', { upstream: { port: 80, sources: [{ kind: 'dns', hostname: 'x' }], trafficSplit: { default: -1 } } }, 'upstream.trafficSplit.default'],
    ['a negative endpoint weight', { upstream: { port: 80, sources: [{ kind: 'static', endpoints: [{ address: 'a', weight: -1 }] }] } }, 'upstream.sources.0.endpoints.0.weight'],
    ['an upstream port out of range', { upstream: { port: 70000, sources: [{ kind: 'dns', hostname: 'x' }] } }, 'upstream.port'],
    ['no discovery source', { upstream: { port: 80, sources: [] } }, 'upstream.sources'],
    ['an unknown algorithm', { algorithm: { kind: 'fastest' } }, 'algorithm.kind'],
    ['a load factor below 1', { algorithm: { kind: 'consistent-hash', key: { source: 'source-ip' }, loadFactor: 0.5 } }, 'algorithm.loadFactor'],
    ['an unknown field', { extra: true }, ''],
    ['admin and listener on one port', { listener: { port: 9000 }, admin: { port: 9000 } }, 'admin.port'],
    ['a health check timeout above its interval', { healthCheck: { intervalMs: 1000, timeoutMs: 2000 } }, 'healthCheck.timeoutMs'],
    ['a base ejection time above the maximum', { outlierDetection: { baseEjectionMs: 10, maxEjectionMs: 5 } }, 'outlierDetection.baseEjectionMs'],
  ])('fails when given %s', (_name, patch, path) => {
    const issues = issuesOf({ ...minimal(), ...patch });
    expect(issues.map((i) => i.path)).toContain(path);
  });

  test('the thrown error names the field and the bad value', () => {
    let err: unknown;
    try {
      validateProxyConfig({ ...minimal(), upstream: { port: 0, sources: [{ kind: 'dns', hostname: 'x' }] } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('LB_CONFIG_INVALID');
    expect((err as Error).message).toMatch(/upstream\.port: .*>=1 \(got 0\)/);
  });
});

describe('proxyConfigJsonSchema', () => {
  test('describes the input form, with version required and defaults optional', () => {
    const schema = proxyConfigJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required.sort()).toEqual(['upstream', 'version']);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['listener', 'admin', 'upstream', 'algorithm', 'healthCheck', 'retries', 'timeouts', 'limits']),
    );
    expect(JSON.stringify(schema.properties.algorithm)).toContain('peak-ewma');
  });
});

describe('DNS host name variables', () => {
  test('$(POD_NAMESPACE) is the one variable a DNS host name may hold', () => {
    const ok = { ...minimal(), upstream: { port: 80, sources: [{ kind: 'dns', hostname: 'a.$(POD_NAMESPACE).svc.cluster.local' }] } };
    expect(checkProxyConfig(ok).ok).toBe(true);
    const bad = { ...minimal(), upstream: { port: 80, sources: [{ kind: 'dns', hostname: 'a.$(NAMESPACE).svc.cluster.local' }] } };
    expect(issuesOf(bad)).toEqual([
      expect.objectContaining({ path: 'upstream.sources.0.hostname', message: expect.stringMatching(/^only \$\(POD_NAMESPACE\) may be used as a variable/) }),
    ]);
  });
});
