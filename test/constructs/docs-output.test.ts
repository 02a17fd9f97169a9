import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AppSecret, LoadBalancedApp } from '../../src';
import { chart, ECHO, find, synthValid } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

// Finding 7: what the docs promise is what the output does.
describe('docs match output', () => {
  test('AppSecret.fromValues writes base64 `data`, as its docs say, and no plain stringData', () => {
    // GIVEN inline secret values
    const c = chart();
    const values = { DB_PASSWORD: 'hunter2 <&>', API_TOKEN: 'tok-0123' };
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, secret: AppSecret.fromValues(values) });
    // WHEN synthesized
    const secret = find(synthValid(c), 'Secret', 'hello-secret');
    // THEN the values are base64 in data, and decode to what was given
    expect(secret.stringData).toBeUndefined();
    const decoded = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    expect(decoded).toEqual(values);
    expect(Object.values(secret.data ?? {}).every((v) => /^[A-Za-z0-9+/]*={0,2}$/.test(v))).toBe(true);
    // AND the docs say so
    const docs = read('src/constructs/app-secret.ts');
    expect(docs).toMatch(/as base64 in the Secret's `data`/);
  });

  test('a request without the consistent-hash key is documented as spread by power of two choices, which is what the proxy does', () => {
    const proxy = read('src/proxy/balancer/consistent-hash.ts');
    expect(proxy).toMatch(/key === undefined[^\n]*return this\.fallback\.pick/);
    expect(proxy).toMatch(/this\.fallback = new PowerOfTwoChoicesBalancer/);
    expect(read('src/constructs/algorithm.ts')).toMatch(/A request without the key \(no such header or cookie\) has no affinity: it is spread over the\s+\* endpoints by least request over two random picks/);
    expect(read('README.md')).toMatch(/A request without the hash key \(header or cookie missing\) is not pinned: it is spread by least request/);
  });
});
