#!/usr/bin/env node
/**
 * The user-facing command line: `npx cdk8s-balancer <command> [options]`.
 *
 * Each command lives in its own module and is loaded only when it is asked for, so `validate` in a pre-commit hook does
 * not pay for loading the simulator. A command returns its exit code; it never calls `process.exit` itself, which keeps
 * commands callable from tests.
 */
import type { Command, CommandIo } from './command';

/** Command name → loader. Keep the list sorted. */
const COMMANDS: Readonly<Record<string, () => Command>> = {
  simulate: () => (require('./simulate') as typeof import('./simulate')).simulateCommand,
  validate: () => (require('./validate') as typeof import('./validate')).validateCommand,
};

function usage(): string {
  const names = Object.keys(COMMANDS);
  const lines = names.map((n) => `  ${n.padEnd(10)} ${COMMANDS[n]().summary}`);
  return ['usage: cdk8s-balancer <command> [options]', '', 'commands:', ...lines, '', 'Run `cdk8s-balancer <command> --help` for its options.'].join('\n');
}

/** Runs the command line `argv` (without node and the script) and resolves to the exit code. */
export async function main(argv: readonly string[], io: CommandIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(usage());
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.err(`cdk8s-balancer: unknown command "${name}"; the commands are: ${Object.keys(COMMANDS).join(', ')}`);
    return 2;
  }
  return load().run(rest, io);
}

function defaultIo(): CommandIo {
  return { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`cdk8s-balancer: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
