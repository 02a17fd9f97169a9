/**
 * Entry point of the proxy bundle: `node proxy.bundle.js --config <file.json> [--smoke ...]`.
 *
 * Exit codes: 0 after a clean drain (or a passing smoke run), 1 on a failed smoke run or a crash, 2 on bad
 * arguments, a config it refuses (the ConfigError names the field; it goes to stderr as a JSON log line and as
 * plain text) or TLS files it cannot use (the TlsFileError names the file and the fix).
 */
import { ConfigError } from '../config';
import { parseArgs, UsageError, USAGE } from './cli';
import { dnsServersFromEnv, loadConfigFile } from './config-file';
import { startProxy } from './lifecycle';
import { createLogger } from './log';
import { runSmoke } from './smoke';
import { TlsFileError } from './tls/mounted-files';

async function main(): Promise<number> {
  const log = createLogger('info');
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) process.stderr.write(`${err.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfigFile(args.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const rec = { ts: new Date().toISOString(), level: 'error', msg: 'refusing to start: invalid config', code: err.code, issues: err.issues, file: args.config };
    process.stderr.write(`${JSON.stringify(rec)}\n${err.message}\n`);
    return 2;
  }
  log.setLevel(config.logging.level);
  const dnsServers = dnsServersFromEnv(process.env);

  if (args.smoke) {
    const summary = await runSmoke(config, { requests: args.smokeRequests, timeoutMs: args.smokeTimeoutMs, dnsServers, log });
    process.stdout.write(`${JSON.stringify({ msg: 'smoke summary', ...summary })}\n`);
    return summary.ok ? 0 : 1;
  }

  let proxy;
  try {
    proxy = await startProxy(config, { log, dnsServers });
  } catch (err) {
    if (!(err instanceof TlsFileError)) throw err;
    const rec = { ts: new Date().toISOString(), level: 'error', msg: 'refusing to start: TLS files unusable', code: err.code, error: err.message };
    process.stderr.write(`${JSON.stringify(rec)}\n${err.message}\n`);
    return 2;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info('signal received; draining', { signal });
      proxy.stop().then(
        () => resolve(0),
        (err: unknown) => {
          log.error('stop failed', { err });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
    // Timers of undici and dns may linger; the work is done.
    setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    const e = err as Error & { code?: string };
    process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level: 'error', msg: 'proxy crashed', code: e?.code, error: e?.message, stack: e?.stack })}\n`);
    process.exit(1);
  },
);
