/**
 * MountedFiles in-process, on a directory laid out and rotated like the kubelet's Secret volume. The files hold a
 * version string each; a pair is consistent when both hold the same one (as a certificate and its key must).
 */
import { mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../src/proxy/log';
import { MountedFiles, readMountedFiles, TlsFileError } from '../../../src/proxy/tls/mounted-files';
import { SecretMount } from '../tls-helpers';

let root: string;
beforeAll(() => (root = mkdtempSync(join(tmpdir(), 'lb-mounted-'))));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function watched(mount: SecretMount) {
  const applied: string[] = [];
  const results: string[] = [];
  const logs: string[] = [];
  const files = [mount.certFile, mount.keyFile];
  const m = new MountedFiles(
    {
      files,
      checkMs: 60_000,
      what: 'test pair',
      fix: 'write a consistent pair',
      apply: ([a, b]) => {
        if (!a.equals(b)) throw new Error(`torn pair ${a} / ${b}`);
        applied.push(a.toString());
      },
      onReload: (r) => results.push(r),
      log: createLogger('warn', (l) => logs.push(l)),
    },
    readMountedFiles(files, 'test pair', 'fix it'),
  );
  return { m, applied, results, logs };
}

const v = (s: string): Buffer => Buffer.from(s);

describe('MountedFiles', () => {
  test('applies a changed pair once, and reports an unusable one once until it changes', async () => {
    const mount = new SecretMount(root);
    mount.write(v('1'), v('1'));
    const { m, applied, results, logs } = watched(mount);
    await m.check();
    expect(applied).toEqual([]); // unchanged
    mount.write(v('2'), v('2'));
    await m.check();
    await m.check();
    expect(applied).toEqual(['2']);
    mount.write(v('3'), v('x'));
    await m.check();
    await m.check();
    expect(results).toEqual(['ok', 'error']);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(mount.certFile);
    expect(logs[0]).toContain('torn pair 3 / x');
    mount.write(v('4'), v('4'));
    await m.check();
    expect(applied).toEqual(['2', '4']);
    expect(results).toEqual(['ok', 'error', 'ok']);
  });

  test('a file gone is reported once; its return is applied', async () => {
    const mount = new SecretMount(root);
    mount.write(v('1'), v('1'));
    const { m, applied, results } = watched(mount);
    unlinkSync(mount.keyFile);
    await m.check();
    await m.check();
    expect(results).toEqual(['error']);
    mount.write(v('2'), v('2'));
    // SecretMount.write made the links once; put the key's link back as the kubelet's volume has it.
    symlinkSync('..data/tls.key', mount.keyFile);
    await m.check();
    expect(applied).toEqual(['2']);
  });

  test('checks racing the ..data swap never apply or report a torn pair', async () => {
    const mount = new SecretMount(root);
    mount.write(v('0'), v('0'));
    const { m, results, applied } = watched(mount);
    let stop = false;
    const checks = (async () => {
      while (!stop) await m.check();
    })();
    for (let i = 1; i <= 300; i++) {
      mount.write(v(String(i)), v(String(i)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    stop = true;
    await checks;
    await new Promise((resolve) => setTimeout(resolve, 120)); // a retried torn check
    await m.check();
    expect(results.filter((r) => r === 'error')).toEqual([]);
    expect(applied.length).toBeGreaterThan(0);
    expect(applied[applied.length - 1]).toBe('300');
    m.stop();
  });

  test('fails at startup naming the missing file and the fix', () => {
    const missing = join(root, 'none', 'tls.crt');
    expect(() => readMountedFiles([missing], 'listener TLS', 'Mount the Secret.')).toThrow(TlsFileError);
    expect(() => readMountedFiles([missing], 'listener TLS', 'Mount the Secret.')).toThrow(`listener TLS: cannot read ${missing} (ENOENT). Mount the Secret.`);
  });
});
