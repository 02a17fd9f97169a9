/**
 * The example apps that `npm run synth` (`cdk8s synth`, i.e. `node lib/main.js`) writes to dist/, one file each:
 * - hello: a web app behind a peak-EWMA gateway, a consumer with a sidecar, a migration Job and a smoke test;
 * - greeter: a gRPC service behind the gateway, every call balanced on its own, with gRPC health checks and an
 *   Ingress (and TLS at the gateway when given one);
 * - cache: Redis over TCP, connections balanced by least connections.
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { App, Chart, ChartProps, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Algorithm, AppSecret, GatewayTls, LoadBalancedApp, Protocol } from './index';

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

/** Props of {@link GreeterChart}. */
export interface GreeterChartProps extends ChartProps {
  /**
   * TLS at the gateway, e.g. `GatewayTls.fromSecret('greeter-tls')` for a Secret cert-manager makes.
   * @default - none: clients speak h2c (plain-text HTTP/2), as the Ingress controller does inside the cluster
   */
  readonly tls?: GatewayTls;
}

/**
 * gRPC behind the gateway. kube-proxy balances connections, and a gRPC client sends every call over one connection,
 * so without the gateway one pod takes all of a client's calls; the gateway balances each call (each HTTP/2 stream).
 * podinfo serves gRPC on 9999 with grpc.health.v1 for the service "podinfo".
 */
export class GreeterChart extends Chart {
  public readonly app: LoadBalancedApp;

  constructor(scope: Construct, id: string, props: GreeterChartProps = {}) {
    super(scope, id, props);
    this.app = new LoadBalancedApp(this, 'greeter', {
      name: 'greeter',
      container: {
        image: 'ghcr.io/stefanprodan/podinfo:6.7.1',
        command: ['./podinfo', '--port=9898', '--grpc-port=9999', '--grpc-service-name=podinfo', '--level=info'],
        ports: [
          { name: 'grpc', number: 9999 },
          { name: 'http', number: 9898 },
        ],
      },
      balancedPort: 'grpc',
      replicas: 3,
      protocol: Protocol.grpc(),
      algorithm: Algorithm.powerOfTwoChoices(),
      healthCheck: { grpcService: 'podinfo', interval: Duration.seconds(5) },
      retries: { attempts: 2, retryOn: ['connect-failure', 'unavailable'] },
      // Clients behind one L4 VIP reconnect now and then, and so spread over the gateway's proxies after a scale-out.
      gateway: { replicas: 2, tls: props.tls, maxConnectionAge: Duration.minutes(5) },
      ingress: { host: 'greeter.example.com', ingressClassName: 'nginx' },
    });
  }
}

/** Redis over TCP: each connection goes to the replica with the fewest open connections. */
export class CacheChart extends Chart {
  public readonly app: LoadBalancedApp;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    this.app = new LoadBalancedApp(this, 'cache', {
      name: 'cache',
      container: {
        image: 'redis:7.4.1-alpine',
        // A read-only root filesystem: no snapshots, no append-only file (a cache, not a store).
        command: ['redis-server', '--save', '', '--appendonly', 'no'],
        ports: [{ name: 'redis', number: 6379 }],
      },
      replicas: 3,
      protocol: Protocol.tcp(),
      algorithm: Algorithm.leastConnections(),
      healthCheck: { interval: Duration.seconds(5) }, // a TCP connect
      timeouts: { connect: Duration.seconds(1), idle: Duration.minutes(10) },
    });
  }
}

/** Builds the example's charts into `app`. */
export function buildApp(app: App): void {
  new HelloChart(app, 'hello');
  new GreeterChart(app, 'greeter');
  new CacheChart(app, 'cache');
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
