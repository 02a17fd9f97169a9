/**
 * `--smoke`: the Kubernetes smoke-test Job's command. It must reach every endpoint, also behind a hash, and fail
 * naming the endpoints that never answered below 500.
 */
import { spawn } from 'node:child_process';
import { Backend, BUNDLE, cleanTmp, freePort, PROXY_NODE, requireBundle, startBackend, staticSource, tmpFile } from './helpers';

interface Result {
  code: number | null;
  summary: { ok: boolean; missing: string[]; requests: number; endpoints: { id: string; answered: boolean }[]; reason?: string };
}

async function smoke(config: object, extra: string[] = []): Promise<Result> {
  requireBundle();
  const full = { version: 1, listener: { port: await freePort() }, admin: { port: await freePort() }, ...config };
  const child = spawn(PROXY_NODE, [BUNDLE, '--config', tmpFile('smoke.json', JSON.stringify(full)), '--smoke', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  const line = out.split('\n').find((l) => l.includes('"smoke summary"'));
  if (!line) throw new Error(`no smoke summary in:\n${out}`);
  return { code, summary: JSON.parse(line) };
}

describe('--smoke', () => {
  let backends: Backend[] = [];
  afterEach(async () => {
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
  });
  afterAll(cleanTmp);

  test.each([
    ['a header', { source: 'header', name: 'x-tenant' }],
    ['a cookie', { source: 'cookie', name: 'sid' }],
    ['the source address', { source: 'source-ip' }],
  ])('reaches every endpoint behind consistent hashing on %s and exits 0', async (_what, key) => {
    backends = await Promise.all(['127.0.0.51', '127.0.0.52', '127.0.0.53'].map((h) => startBackend(h)));
    const r = await smoke({ upstream: { port: 1, sources: [staticSource(backends)] }, algorithm: { kind: 'consistent-hash', key } });
    expect(r.summary.missing).toEqual([]);
    expect(r.summary.endpoints.every((e) => e.answered)).toBe(true);
    expect(r.summary.ok).toBe(true);
    expect(r.code).toBe(0);
  });

  test('fails with exit 1 naming the endpoint that only answers 500', async () => {
    backends = await Promise.all(['127.0.0.51', '127.0.0.52'].map((h) => startBackend(h)));
    backends.push(
      await startBackend('127.0.0.53', (req, res) => {
        req.resume();
        res.writeHead(500).end();
      }),
    );
    const r = await smoke({ upstream: { port: 1, sources: [staticSource(backends)] } }, ['--smoke-requests', '30', '--smoke-timeout-ms', '5000']);
    expect(r.code).toBe(1);
    expect(r.summary.ok).toBe(false);
    expect(r.summary.missing).toEqual([`127.0.0.53:${backends[2].port}`]);
    expect(r.summary.reason).toContain('127.0.0.53');
    expect(r.summary.requests).toBeLessThanOrEqual(30);
  });
});
