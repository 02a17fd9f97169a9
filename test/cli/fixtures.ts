/**
 * GIVEN steps for the CLI tests: directories of synthesized YAML (clean, or with known problems), and a way to run
 * the command line in-process with its output captured.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'cdk8s';
import { main } from '../../src/cli/main';
import { HelloChart, synthAtomically } from '../../src/main';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `cdk8s-balancer <argv>` in-process. */
export async function cli(...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A fresh temp directory. */
export function tempDir(prefix = 'lb-cli-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Writes `text` to `dir/name` (making parent directories) and returns the path. */
export function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/**
 * The example's hello chart (src/main.ts) synthesized into a new directory, as `cdk8s synth` writes it: one file, which
 * holds the proxy bundle the example's other charts refer to (test/constructs/main.test.ts covers those).
 */
export function exampleDist(): string {
  const dir = path.join(tempDir(), 'dist');
  synthAtomically(dir, (app: App) => new HelloChart(app, 'hello'));
  return dir;
}

/** A Deployment with known problems; `line(text, needle)` finds where each field is. */
export const BAD_DEPLOYMENT = `# a hand-written Deployment, as a Helm chart might render it
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad
  namespace: shop
  labels:
    app.kubernetes.io/name: bad
spec:
  replicas: 1
  selector:
    matchLabels: { app: bad }
  template:
    metadata:
      labels: { app: bad }
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: { type: RuntimeDefault }
      containers:
        - name: main
          image: nginx:latest
          envFrom:
            - secretRef: { name: db-credentials }
          resources:
            requests: { cpu: 10m, memory: 16Mi }
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: [ALL] }
`;

/** The 1-based line of the first line of `text` that contains `needle`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`fixture has no line with ${JSON.stringify(needle)}`);
  return i + 1;
}
