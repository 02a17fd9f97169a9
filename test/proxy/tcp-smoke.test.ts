/**
 * `--smoke` on a tcp listener: it reaches every endpoint with connections, not HTTP requests (the endpoints here
 * speak no HTTP and never send a byte), and fails naming an endpoint that refuses connections.
 */
import { spawn } from 'node:child_process';
import { BUNDLE, cleanTmp, freePort, PROXY_NODE, requireBundle, tmpFile } from './helpers';
import { startTcpBackend, TcpBackend, tcpSource } from './tcp-helpers';

interface Summary {
  ok: boolean;
  missing: string[];
  statuses: Record<string, number>;
  reason?: string;
}

async function smoke(config: object): Promise<{ code: number | null; summary: Summary }> {
  requireBundle();
  const full = { version: 1, listener: { protocol: 'tcp', port: await freePort() }, admin: { port: await freePort() }, ...config };
  const child = spawn(PROXY_NODE, [BUNDLE, '--config', tmpFile('tcp-smoke.json', JSON.stringify(full)), '--smoke'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  const line = out.split('\n').find((l) => l.includes('"smoke summary"'));
  if (!line) throw new Error(`no smoke summary in:\n${out}`);
  return { code, summary: JSON.parse(line) };
}

describe('--smoke on a tcp listener', () => {
  let backends: TcpBackend[] = [];
  afterEach(async () => {
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
  });
  afterAll(cleanTmp);

  const silent = () => undefined;

  test.each([
    ['round-robin', { kind: 'round-robin' }],
    ['consistent hashing on the source address', { kind: 'consistent-hash', key: { source: 'source-ip' } }],
  ])('reaches every endpoint with %s, sending no byte, and exits 0', async (_what, algorithm) => {
    backends = await Promise.all(['127.0.0.61', '127.0.0.62', '127.0.0.63'].map((h) => startTcpBackend(h, silent)));
    const received: Buffer[] = [];
    for (const b of backends) b.server.on('connection', (s) => s.on('data', (d: Buffer) => received.push(d)));
    const r = await smoke({ upstream: { port: 1, sources: [tcpSource(backends)] }, algorithm });
    expect(r.summary.missing).toEqual([]);
    expect(r.summary.ok).toBe(true);
    expect(r.code).toBe(0);
    expect(r.summary.statuses.connected).toBeGreaterThanOrEqual(1);
    expect(backends.every((b) => b.accepted > 0)).toBe(true);
    expect(received).toEqual([]);
  });

  test('fails with exit 1 naming the endpoint that refuses connections', async () => {
    backends = await Promise.all(['127.0.0.61', '127.0.0.62'].map((h) => startTcpBackend(h, silent)));
    await backends[1].stopListening();
    const r = await smoke({ upstream: { port: 1, sources: [tcpSource(backends)] } });
    expect(r.code).toBe(1);
    expect(r.summary.missing).toEqual([`127.0.0.62:${backends[1].port}`]);
    expect(r.summary.reason).toContain('did not accept a connection');
  });
});
