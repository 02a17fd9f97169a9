import { validateManifests } from '../../src/testing';
import { lastAppliedConfiguration } from '../../src/testing/apply-size';
import { expectProblems } from './helpers';

/** About `bytes` of minified-JS-like text, with the `<`, `>` and `&` that Go's encoder escapes. */
function jsLike(bytes: number): string {
  const line = 'function f(a,b){return a<b&&b>0?a:b}var x={k:"v",n:[1,2,3]};\n';
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

const configMap = (name: string, data: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
  ...extra,
});

describe('validateManifests: what kubectl apply can store', () => {
  test('writes the last-applied annotation as kubectl does: sorted compact JSON, Go HTML escaping, empty annotations, a newline', () => {
    const value = lastAppliedConfiguration(configMap('x', { 'a.js': 'a<b && c>d \u2028' }, { metadata: { name: 'x', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'old' } } }));
    expect(value).toBe(
      '{"apiVersion":"v1","data":{"a.js":"a\\u003cb \\u0026\\u0026 c\\u003ed \\u2028"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"x"}}\n',
    );
  });

  test('fails a ConfigMap with 300 KB of JS, whose last-applied annotation would exceed 262144 bytes', () => {
    const set = [configMap('bundle', { 'proxy.js': jsLike(300_000) })];
    const problems = validateManifests(set);
    expectProblems(problems, [
      { code: 'LAST_APPLIED_TOO_LARGE', object: 'ConfigMap default/bundle', path: 'metadata.annotations', message: 'over the API server\'s 262144-byte limit' },
    ]);
    expect(problems[0].message).toMatch(/kubectl apply --server-side/);
    // the size is what Go writes: each of the ~5% "<", ">" and "&" characters takes 6 bytes
    const size = Number(/would total (\d+) bytes/.exec(problems[0].message)?.[1]);
    expect(size).toBeGreaterThan(300_000 * 1.2);
  });

  test('passes a small ConfigMap', () => {
    expect(validateManifests([configMap('small', { 'proxy.js': jsLike(20_000) })])).toEqual([]);
  });

  test('counts escaped characters at their escaped size: 50 KB of "<" is over, 200 KB of "a" is under', () => {
    expect(validateManifests([configMap('lt', { f: '<'.repeat(50_000) })]).map((p) => p.code)).toEqual(['LAST_APPLIED_TOO_LARGE']);
    expect(validateManifests([configMap('aa', { f: 'a'.repeat(200_000) })])).toEqual([]);
  });

  test('fails annotations that are over the limit on their own', () => {
    const set = [configMap('notes', {}, { metadata: { name: 'notes', annotations: { note: 'n'.repeat(262_200) } } })];
    expect(validateManifests(set).map((p) => p.code)).toEqual(['ANNOTATIONS_TOO_LARGE', 'LAST_APPLIED_TOO_LARGE']);
  });

  test('fails a ConfigMap whose data and binaryData exceed 1 MiB', () => {
    const half = 'x'.repeat(600_000);
    const set = [configMap('big', { a: half }, { binaryData: { b: Buffer.from(half).toString('base64') } })];
    const problems = validateManifests(set, { ignore: ['LAST_APPLIED_TOO_LARGE'] });
    expectProblems(problems, [{ code: 'DATA_TOO_LARGE', object: 'ConfigMap default/big', path: 'data', message: '1200000 bytes, over the 1048576', value: 1_200_000 }]);
  });

  test('fails a Secret whose decoded data and stringData exceed 1 MiB, and passes one just under', () => {
    const secret = (bytes: number) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      type: 'Opaque',
      data: { a: Buffer.alloc(bytes - 10, 1).toString('base64') },
      stringData: { b: 'b'.repeat(10) },
    });
    const opts = { ignore: ['LAST_APPLIED_TOO_LARGE' as const] };
    expect(validateManifests([secret(1_048_577)], opts).map((p) => p.code)).toEqual(['DATA_TOO_LARGE']);
    expect(validateManifests([secret(1_048_576)], opts)).toEqual([]);
  });
});
