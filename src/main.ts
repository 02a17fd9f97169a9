/**
 * The example app that `npm run synth` (`cdk8s synth`, i.e. `node lib/main.js`) writes to dist/:
 * a hello-world web app behind a peak-EWMA gateway, a consumer with a sidecar, a migration Job and a smoke test.
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { App, Chart, ChartProps, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Algorithm, AppSecret, LoadBalancedApp } from './index';

/** The showcase: everything a typical app needs, in one chart. */
export class HelloChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    const hello = new LoadBalancedApp(this, 'hello', {
      name: 'hello',
      container: {
        image: 'hashicorp/http-echo:1.0.0',
        args: ['-listen=:5678', '-text=hello'],
        ports: [{ name: 'http', number: 5678 }],
      },
      replicas: 3,
      algorithm: Algorithm.peakEwma({ decay: Duration.seconds(10) }),
      healthCheck: { path: '/', interval: Duration.seconds(5) },
      retries: { attempts: 2 },
      config: { GREETING: 'hello' },
      // A demo value, so that the example deploys as is: inline values end up base64-encoded (not encrypted) in dist/.
      // For real credentials use AppSecret.fromExisting('name') and create that Secret with your secret store.
      secret: AppSecret.fromValues({ API_TOKEN: 'demo-token-not-a-secret' }),
      migration: { container: { image: 'busybox:1.36.1', command: ['sh', '-c', 'echo "schema is up to date"'] } },
      smokeTest: true,
    });

    // A consumer that calls hello through its own sidecar proxy: per-request balancing over keep-alive connections.
    const client = new kplus.Deployment(this, 'client', {
      metadata: { name: 'hello-client' },
      replicas: 1,
      securityContext: { user: 100, group: 101 },
      containers: [
        {
          name: 'client',
          image: 'curlimages/curl:8.11.1',
          command: ['sh', '-c', 'while true; do curl -fsS "$HELLO_URL/" || true; sleep 5; done'],
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          resources: { cpu: { request: kplus.Cpu.millis(10) }, memory: { request: Size.mebibytes(16), limit: Size.mebibytes(32) } },
          securityContext: { user: 100, group: 101 }, // addConsumer hardens it to restricted (drops ALL capabilities)
        },
      ],
    });
    hello.addConsumer(client);
  }
}

/** Builds the example's charts into `app`. */
export function buildApp(app: App): void {
  new HelloChart(app, 'hello');
}

/**
 * Synthesizes into a staging directory next to `outdir`, and only after success moves the new `*.k8s.yaml` files
 * into `outdir` (one rename each) and removes the stale ones. A failed synth leaves `outdir` untouched.
 */
export function synthAtomically(outdir: string, build: (app: App) => void): string[] {
  const target = path.resolve(outdir);
  mkdirSync(path.dirname(target), { recursive: true });
  const staging = mkdtempSync(`${target}.staging-`);
  try {
    const app = new App({ outdir: staging });
    build(app);
    app.synth();
    const files = readdirSync(staging).filter((f) => f.endsWith('.k8s.yaml')).sort();
    mkdirSync(target, { recursive: true });
    for (const f of files) renameSync(path.join(staging, f), path.join(target, f));
    for (const f of readdirSync(target)) {
      if (f.endsWith('.k8s.yaml') && !files.includes(f)) rmSync(path.join(target, f));
    }
    return files;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    synthAtomically(process.env.CDK8S_OUTDIR ?? 'dist', buildApp);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
