/** Where a command writes: one line per call, without the trailing newline. */
export interface CommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** One `cdk8s-balancer` subcommand. */
export interface Command {
  /** One line for the command list. */
  readonly summary: string;
  /** Runs with the arguments after the command name; resolves to the exit code (0 ok, 1 problems found, 2 usage). */
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}
