/**
 * Structured JSON logs, one object per line on stdout.
 *
 * Never called on the hot path unless access logs are on. Level filtering is a number compare, so a debug call
 * with debug off costs one branch.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
  /** Changes the level once the config is known (the logger exists before it is). */
  setLevel(level: LogLevel): void;
}

export type LogSink = (line: string) => void;

const stdoutSink: LogSink = (line) => {
  process.stdout.write(line);
};

function errorFields(v: unknown): unknown {
  if (v instanceof Error) {
    const code = (v as { code?: unknown }).code;
    return code === undefined ? { name: v.name, message: v.message } : { name: v.name, code, message: v.message };
  }
  return v;
}

export function createLogger(level: LogLevel = 'info', sink: LogSink = stdoutSink): Logger {
  let min = RANK[level];
  const write = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[lvl] < min) return;
    const rec: LogFields = { ts: new Date().toISOString(), level: lvl, msg };
    if (fields) for (const k of Object.keys(fields)) rec[k] = errorFields(fields[k]);
    sink(JSON.stringify(rec) + '\n');
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    enabled: (lvl) => RANK[lvl] >= min,
    setLevel: (lvl) => {
      min = RANK[lvl];
    },
  };
}

/** A logger that drops everything; for tests and embedded use. */
export const silentLogger: Logger = createLogger('error', () => undefined);
