import { spawnSync } from 'node:child_process';
import { BUNDLE, cleanTmp, PROXY_NODE, requireBundle, tmpFile } from './helpers';

function run(args: string[]): { code: number | null; stderr: string; stdout: string } {
  requireBundle();
  const r = spawnSync(PROXY_NODE, [BUNDLE, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

const upstream = { port: 8080, sources: [{ kind: 'static', endpoints: [{ address: '127.0.0.11' }] }] };

describe('the proxy refuses configs it cannot run', () => {
  afterAll(cleanTmp);

  test('fails with exit 2 naming the field of an invalid config, as a JSON log line and as text', () => {
    const file = tmpFile('bad.json', JSON.stringify({ version: 1, upstream, algorithm: { kind: 'consistent-hash' } }));
    const r = run(['--config', file]);
    expect(r.code).toBe(2);
    const [jsonLine, ...text] = r.stderr.split('\n');
    const rec = JSON.parse(jsonLine);
    expect(rec).toMatchObject({ level: 'error', code: 'LB_CONFIG_INVALID' });
    expect(rec.issues.map((i: { path: string }) => i.path)).toContain('algorithm.key');
    expect(text.join('\n')).toMatch(/LB_CONFIG_INVALID[\s\S]*algorithm\.key/);
  });

  test('fails with exit 2 and LB_CONFIG_VERSION on a newer config version', () => {
    const file = tmpFile('newer.json', JSON.stringify({ version: 99, upstream }));
    const r = run(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LB_CONFIG_VERSION');
    expect(r.stderr).toMatch(/version.*99.*newer/);
  });

  test('fails with exit 2 on a file that is not JSON or does not exist', () => {
    expect(run(['--config', tmpFile('x.json', '{ nope')]).code).toBe(2);
    const missing = run(['--config', '/nonexistent/lb.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/lb.json');
  });

  test('fails with exit 2 and the usage without --config or with an unknown flag', () => {
    const r = run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--config');
    expect(run(['--config', 'x', '--bogus']).stderr).toContain('unknown argument --bogus');
  });
});
