/** Command-line flags of the proxy bundle. */
export interface CliArgs {
  readonly config: string;
  readonly smoke: boolean;
  readonly smokeRequests: number;
  readonly smokeTimeoutMs: number;
}

export const USAGE = `usage: node proxy.bundle.js --config <file.json> [--smoke [--smoke-requests N] [--smoke-timeout-ms MS]]

  --config <file>        proxy config (JSON), validated at startup; exit 2 when invalid or of a newer version
  --smoke                send requests through an in-process listener until every discovered endpoint answered
  --smoke-requests N     most requests in smoke mode (default 200)
  --smoke-timeout-ms MS  longest smoke run (default 30000)

environment:
  LB_DNS_SERVERS         comma-separated ip[:port] list; overrides the servers of every dns discovery source`;

export class UsageError extends Error {}

function positiveInt(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} needs a positive integer, got ${v ?? 'nothing'}`);
  return n;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  let config: string | undefined;
  let smoke = false;
  let smokeRequests = 200;
  let smokeTimeoutMs = 30_000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--config':
        config = value();
        break;
      case '--smoke':
        smoke = true;
        break;
      case '--smoke-requests':
        smokeRequests = positiveInt(flag, value());
        break;
      case '--smoke-timeout-ms':
        smokeTimeoutMs = positiveInt(flag, value());
        break;
      case '--help':
      case '-h':
        throw new UsageError('');
      default:
        throw new UsageError(`unknown argument ${a}`);
    }
  }
  if (!config) throw new UsageError('--config <file.json> is required');
  return { config, smoke, smokeRequests, smokeTimeoutMs };
}
