/**
 * The snapshot helper (`synthForSnapshot`, `manifestsForSnapshot`): the README app's snapshot is small, a new bundle
 * shows in exactly the documented fields, and no other change is ever hidden.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdk8s';
import { bundlePlaceholder, manifestsForSnapshot, synthForSnapshot } from '../../src/testing';
import { fakeBundle } from '../constructs/helpers';
import { ROOT, runUsageExample } from '../docs/readme-app';
import { changedLeaves, leaves, snapshotText, withLeaf } from './snapshot-helpers';

type Obj = { kind: string; metadata: { name: string; labels?: Record<string, string> }; data?: Record<string, string>; binaryData?: Record<string, string> };
const synthReadmeApp = (bundleFile?: string): Obj[] =>
  Testing.synth(runUsageExample(bundleFile === undefined ? {} : { extraProps: { proxy: { bundleFile } } })) as Obj[];
const isBundle = (o: Obj) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('cdk8s-balancer-proxy-');

/** `Kind name path` of a changed leaf, with hash suffixes in names written as <hash>. */
function describeLeaf(objects: readonly Obj[], leafPath: string): string {
  const [, index, rest] = /^\[(\d+)\]\.?(.*)$/.exec(leafPath)!;
  const o = objects[Number(index)];
  return `${o.kind} ${o.metadata.name.replace(/-[0-9a-f]{10}$/, '-<hash>')} ${rest}`;
}

// The README app (a gateway, a consumer `web` with a sidecar, a smoke test): what a new bundle changes, as documented
// in README.md ("Snapshot tests") and in src/testing/snapshot.ts.
const DOCUMENTED_BUNDLE_DIFF = [
  'ConfigMap cdk8s-balancer-proxy-<hash> metadata.name',
  'ConfigMap cdk8s-balancer-proxy-<hash> binaryData["proxy.js.br"]',
  'Deployment api-gateway spec.template.metadata.annotations["cdk8s-balancer/checksum"]',
  'Deployment api-gateway spec.template.spec.volumes[1].configMap.name',
  'Job api-smoke-<hash> metadata.name',
  'Job api-smoke-<hash> spec.template.metadata.annotations["cdk8s-balancer/checksum"]',
  'Job api-smoke-<hash> spec.template.spec.volumes[1].configMap.name',
  'Deployment shop-web-c81100ac spec.template.metadata.annotations["cdk8s-balancer/checksum-api"]',
  'Deployment shop-web-c81100ac spec.template.spec.volumes[1].configMap.name',
].sort();

describe('snapshot helper', () => {
  const real = synthReadmeApp();
  const forSnapshot = manifestsForSnapshot(real) as Obj[];

  test('the README app snapshot stays under 50 KB, where the plain one holds the whole bundle', () => {
    // what the ConfigMap stores: the brotli bundle, base64-encoded
    const bundleBytes = Math.ceil(readFileSync(path.join(ROOT, 'lib/proxy.bundle.js.br')).length / 3) * 4;
    expect(snapshotText(forSnapshot).length).toBeLessThan(50 * 1024);
    expect(snapshotText(real).length).toBeGreaterThan(bundleBytes);
  });

  test('synthForSnapshot gives what manifestsForSnapshot gives for the synthesized chart', () => {
    expect(synthForSnapshot(runUsageExample())).toEqual(forSnapshot);
  });

  test('the bundle becomes a placeholder naming its size and sha256; every other object is the synthesized one', () => {
    const compressed = readFileSync(path.join(ROOT, 'lib/proxy.bundle.js.br'));
    const i = real.findIndex(isBundle);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(forSnapshot[i].binaryData).toEqual({ 'proxy.js.br': bundlePlaceholder(compressed.toString('base64')) });
    expect(forSnapshot[i].binaryData!['proxy.js.br']).toMatch(new RegExp(`^<proxy bundle: ${compressed.length} bytes brotli, sha256 [0-9a-f]{64}>$`));
    // the loader beside it stays as synthesized
    expect(forSnapshot[i].data).toEqual(real[i].data);
    expect(changedLeaves(real, forSnapshot)).toEqual([`[${i}].binaryData["proxy.js.br"]`]);
    forSnapshot.forEach((o, j) => {
      if (j !== i) expect(o).toBe(real[j]);
    });
  });

  test('the placeholder is stable: the sha256 of the bundle bytes', () => {
    expect(bundlePlaceholder(Buffer.from('abc').toString('base64'))).toBe('<proxy bundle: 3 bytes brotli, sha256 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad>');
  });

  test('changing only the bundle bytes changes exactly the documented fields', () => {
    const a = manifestsForSnapshot(synthReadmeApp(fakeBundle('/* bundle A */\n'))) as Obj[];
    const b = manifestsForSnapshot(synthReadmeApp(fakeBundle('/* bundle B */\n'))) as Obj[];
    const changed = changedLeaves(a, b);
    expect(changed.map((p) => describeLeaf(a, p)).sort()).toEqual(DOCUMENTED_BUNDLE_DIFF);
    for (const p of changed.filter((c) => c.endsWith('configMap.name'))) {
      expect(leaves(b).get(p)).toBe(b.find(isBundle)!.metadata.name);
    }

    // The same in the stored snapshot text: one line per documented field, nothing else.
    const [textA, textB] = [snapshotText(a).split('\n'), snapshotText(b).split('\n')];
    expect(textB).toHaveLength(textA.length);
    const changedLines = textB.filter((line, n) => line !== textA[n]);
    expect(changedLines).toHaveLength(DOCUMENTED_BUNDLE_DIFF.length);
    const keys = changedLines.map((line) => line.trim().split(':')[0]);
    expect([...new Set(keys)].sort()).toEqual(['"cdk8s-balancer/checksum"', '"cdk8s-balancer/checksum-api"', '"name"', '"proxy.js.br"']);
  });

  test('a change to any field of any object shows in the snapshot', () => {
    const base = snapshotText(manifestsForSnapshot(real));
    const paths = [...leaves(real).keys()];
    expect(paths.length).toBeGreaterThan(300);
    const hidden: string[] = [];
    for (const p of paths) {
      const changed = withLeaf(real, p, mutate) as unknown[];
      if (snapshotText(manifestsForSnapshot(changed)) === base) hidden.push(p);
    }
    expect(hidden).toEqual([]);
  });

  test('a field removed from or added to the bundle ConfigMap shows in the snapshot', () => {
    const i = real.findIndex(isBundle);
    const base = snapshotText(forSnapshot);
    const variants: unknown[][] = [
      real.map((o, j) => (j === i ? { ...o, data: { ...o.data, extra: 'x' } } : o)),
      real.map((o, j) => (j === i ? { ...o, binaryData: { b: 'eA==' } } : o)),
      real.map((o, j) => (j === i ? { ...o, immutable: undefined } : o)),
      real.map((o, j) => (j === i ? { ...o, metadata: { ...o.metadata, labels: {} } } : o)),
    ];
    for (const v of variants) expect(snapshotText(manifestsForSnapshot(v))).not.toBe(base);
  });

  test('the input is not changed, and objects that only look like the bundle keep their data', () => {
    const before = JSON.stringify(real);
    manifestsForSnapshot(real);
    expect(JSON.stringify(real)).toBe(before);

    const lookalikes = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mine' }, data: { 'proxy.js': 'code' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', labels: real.find(isBundle)!.metadata.labels }, data: { 'proxy.js': 'Y29kZQ==' } },
      'not an object',
      null,
    ];
    expect(manifestsForSnapshot(lookalikes)).toEqual(lookalikes);
  });
});

function mutate(old: unknown): unknown {
  if (typeof old === 'string') return `${old}x`;
  if (typeof old === 'number') return old + 1;
  if (typeof old === 'boolean') return !old;
  if (Array.isArray(old)) return [...old, 'x'];
  if (old !== null && typeof old === 'object') return { ...old, x: 1 };
  return 'x';
}
