/**
 * Shared GIVEN steps and checks for the construct tests.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Chart, ChartProps, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { LoadBalancedApp, LoadBalancedAppProps } from '../../src';
import { validateManifests } from '../../src/testing';

/** A Kubernetes object as synthesized. */
export type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
};

/** A fresh chart. */
export function chart(props: ChartProps = {}): Chart {
  const app: App = Testing.app();
  return new Chart(app, 'test', props);
}

/** The app container most tests use. */
export const ECHO: kplus.ContainerProps = {
  image: 'hashicorp/http-echo:1.0.0',
  args: ['-listen=:5678', '-text=hello'],
  ports: [{ name: 'http', number: 5678 }],
};

/** Synthesizes `c`, asserts the objects pass the 1.27 schema, semantic rules and restricted PSS, and returns them. */
export function synthValid(c: Chart): Obj[] {
  const objects = Testing.synth(c) as Obj[];
  expect(validateManifests(objects)).toEqual([]);
  return objects;
}

/** The one object of `kind` named `name`; fails the test if there is not exactly one. */
export function find(objects: Obj[], kind: string, name: string | RegExp): Obj {
  const matches = (n: string | undefined) => (typeof name === 'string' ? n === name : name.test(n ?? ''));
  const hits = objects.filter((o) => o.kind === kind && matches(o.metadata.name));
  expect(hits.map((o) => `${o.kind}/${typeof name === 'string' ? o.metadata.name : String(name)}`)).toEqual([`${kind}/${String(name)}`]);
  return hits[0];
}

/** Names of the hash-suffixed Jobs. */
export const MIGRATE_JOB = /^hello-migrate-[0-9a-f]{10}$/;
export const SMOKE_JOB = /^hello-smoke-[0-9a-f]{10}$/;

/** Every object of `kind`. */
export function all(objects: Obj[], kind: string): Obj[] {
  return objects.filter((o) => o.kind === kind);
}

/** The config.json of the ConfigMap whose name starts with `prefix`, parsed. */
export function proxyConfig(objects: Obj[], prefix: string): Record<string, unknown> & { algorithm: Record<string, unknown> } {
  const cms = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name?.startsWith(prefix));
  expect(cms).toHaveLength(1);
  return JSON.parse(cms[0].data!['config.json']);
}

/** The pod spec of a workload object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function podSpec(o: Obj): any {
  return o.kind === 'Pod' ? o.spec : o.spec.template.spec;
}

/** The pod template metadata of a workload object. */
export function podMeta(o: Obj): Obj['metadata'] {
  return o.kind === 'Pod' ? o.metadata : o.spec.template.metadata;
}

/** Workload kinds that carry a pod spec. */
export const POD_KINDS = ['Pod', 'Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet', 'Job'];

/** Writes a fake bundle with this content and returns its path. */
export function fakeBundle(content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lb-bundle-'));
  const file = path.join(dir, 'proxy.bundle.js');
  writeFileSync(file, content);
  return file;
}

/** A consumer Deployment that itself passes the restricted profile. */
export function consumer(scope: Chart, id = 'consumer'): kplus.Deployment {
  return new kplus.Deployment(scope, id, {
    securityContext: { user: 1000, group: 1000 },
    containers: [
      {
        name: 'main',
        image: 'curlimages/curl:8.5.0',
        command: ['sleep', 'infinity'],
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        resources: { cpu: { request: kplus.Cpu.millis(10) }, memory: { request: Size.mebibytes(16) } },
        securityContext: { user: 1000, group: 1000, capabilities: { drop: ['ALL' as kplus.Capability] } },
      },
    ],
  });
}

/** Builds an app with `props` over a valid base; returns the message it throws (and fails when nothing is thrown). */
export function constructionError(props: Partial<LoadBalancedAppProps>): string {
  try {
    new LoadBalancedApp(chart(), 'hello', { name: 'hello', container: ECHO, ...props });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected construction to fail');
}
