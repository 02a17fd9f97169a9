/**
 * Files from a mounted Kubernetes Secret (or ConfigMap), re-read when their content changes.
 *
 * Why polling and not fs.watch on the files: the kubelet never writes a mounted file in place. The mount holds
 * `tls.crt -> ..data/tls.crt`, `..data -> ..2026_11_28_19_07_40.123`, and a rotation writes a new timestamped directory,
 * swaps the `..data` symlink atomically (rename of `..data_tmp`), then deletes the old directory. A watch on the file
 * (an inode) sees nothing or goes stale after the first swap. So every `checkMs` the files are read by their paths and
 * compared byte for byte with what is served; a watch on the directory only makes the next check come sooner.
 *
 * The swap can fall between the reads of two files (a new tls.crt with the old tls.key is a "key values mismatch"),
 * or the old directory can vanish under a read. The resolved paths are taken before and after the reads; when they
 * differ, the check is a torn read, not an error, and runs again shortly.
 *
 * Content that fails to apply is reported once (log and counter) and remembered, so a bad Secret left in place is not
 * re-reported every check; the old content keeps serving until good content arrives.
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log';

/** A mounted file is missing or unusable at startup: names the file and the fix. */
export class TlsFileError extends Error {
  public readonly code = 'LB_TLS_FILE';
  public constructor(message: string) {
    super(message);
    this.name = 'TlsFileError';
  }
}

export interface MountedFilesOptions {
  /** The files, read together; `apply` receives their bytes in this order. */
  readonly files: readonly string[];
  readonly checkMs: number;
  /** What the files are, for logs: `listener TLS certificate`. */
  readonly what: string;
  /** How to fix unusable content, for the warning. */
  readonly fix: string;
  /** Puts new content in service; throws when the content is unusable (the old content then stays). */
  readonly apply: (contents: readonly Buffer[]) => void;
  /** Called once per change seen: applied (`ok`) or refused (`error`). */
  readonly onReload?: (result: 'ok' | 'error') => void;
  readonly log: Logger;
}

/** Reads every file now; a missing or unreadable one is a TlsFileError naming it, with `fix` appended. */
export function readMountedFiles(files: readonly string[], what: string, fix: string): Buffer[] {
  return files.map((f) => {
    try {
      return readFileSync(f);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new TlsFileError(`${what}: cannot read ${f} (${e.code ?? e.message}). ${fix}`);
    }
  });
}

const TORN_RETRY_MS = 50;
const WATCH_DEBOUNCE_MS = 20;

export class MountedFiles {
  private current: readonly Buffer[];
  /** Content that failed to apply, or the read error last reported: not reported again until something changes. */
  private refused: readonly Buffer[] | string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private readonly watchers: FSWatcher[] = [];
  private checking: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  /** `initial` is the content in service now (read at startup with readMountedFiles). */
  public constructor(
    private readonly o: MountedFilesOptions,
    initial: readonly Buffer[],
  ) {
    this.current = initial;
  }

  /** Starts the periodic check and the directory watch (a hint only; failing to watch is not an error). */
  public start(): void {
    this.timer = setInterval(() => void this.check(), this.o.checkMs);
    this.timer.unref();
    for (const dir of new Set(this.o.files.map((f) => dirname(f)))) {
      try {
        const w = watch(dir, { persistent: false }, () => this.soon(WATCH_DEBOUNCE_MS));
        w.on('error', () => w.close());
        this.watchers.push(w);
      } catch {
        // inotify limits or an odd filesystem: the periodic check still sees every change.
      }
    }
  }

  public stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.soonTimer);
    for (const w of this.watchers.splice(0)) w.close();
  }

  private soon(ms: number): void {
    if (this.stopped || this.soonTimer !== undefined) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      void this.check();
    }, ms);
    this.soonTimer.unref();
  }

  /** Reads the files and applies them when they changed. One check at a time; a request during one runs after it. */
  public check(): Promise<void> {
    if (this.checking !== undefined) {
      this.again = true;
      return this.checking;
    }
    this.checking = this.checkOnce().finally(() => {
      this.checking = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.check();
      }
    });
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const files = this.o.files;
    const before = await resolved(files);
    let contents: Buffer[] | undefined;
    let readError: string | undefined;
    try {
      contents = await Promise.all(files.map((f) => readFile(f)));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      readError = `${e.code ?? 'error'}: ${e.message}`;
    }
    if (this.stopped) return;
    if ((await resolved(files)) !== before) return this.soon(TORN_RETRY_MS); // a symlink swap under the reads
    if (contents === undefined) return this.refuse(readError ?? 'unreadable', readError ?? 'unreadable');
    if (sameContent(contents, this.current)) {
      this.refused = undefined;
      return;
    }
    if (Array.isArray(this.refused) && sameContent(contents, this.refused)) return;
    try {
      this.o.apply(contents);
    } catch (err) {
      const e = err as Error & { code?: string };
      return this.refuse(contents, e.code ? `${e.code}: ${e.message}` : e.message);
    }
    this.current = contents;
    this.refused = undefined;
    this.o.onReload?.('ok');
  }

  private refuse(what: readonly Buffer[] | string, error: string): void {
    if (this.refused === what) return; // the same read error as last time
    this.refused = what;
    this.o.log.warn(`${this.o.what}: the files changed but cannot be used; still serving the previous content`, {
      files: this.o.files,
      error,
      fix: this.o.fix,
    });
    this.o.onReload?.('error');
  }
}

/** The files' resolved paths as one string ("!" for a path that does not resolve). */
async function resolved(files: readonly string[]): Promise<string> {
  const r = await Promise.all(files.map((f) => realpath(f).catch(() => '!')));
  return r.join('\n');
}

function sameContent(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((x, i) => x.equals(b[i]));
}
