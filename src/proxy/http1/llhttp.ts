/**
 * llhttp, the HTTP/1.1 parser Node itself uses, as the WebAssembly build that undici ships (SIMD flavour).
 *
 * One WebAssembly instance serves every parser in the process: `llhttp_alloc` gives each connection its own parser
 * state in the instance's memory, and the callbacks find their JS parser through a map from that pointer. A chunk is
 * copied into the instance's memory before `llhttp_execute`; callback spans (`at`, `len`) are turned back into
 * offsets of the caller's chunk, so bodies are forwarded as ranges of the bytes that arrived, never copied out.
 *
 * Strict mode: no lenient flag is ever set. Bare LF, obs-fold, duplicate or malformed Content-Length, CL with TE,
 * chunked not last, bad chunk sizes and spaces where the grammar has none are all errors (RFC 9112).
 *
 * Every parser pauses at the end of each head (`onHeadersComplete` returns PAUSED), so the caller learns where the
 * head ended and decides the body's framing itself. A Content-Length body or no body is handled without the parser
 * (the caller counts bytes and then calls `reset()`); only chunked bodies run through llhttp, which validates the
 * chunk framing while the caller forwards the raw bytes it consumed.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const WASM: Buffer = require('undici/lib/llhttp/llhttp_simd-wasm.js');

/** The slice of the WebAssembly API this module uses (the project compiles without the DOM library). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** Buffer#latin1Slice: Node's one-byte decoder without toString's encoding lookup. */
export function latin1(b: Buffer, start: number, end: number): string {
  return (b as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(start, end);
}

export const enum ParserKind {
  Request = 1,
  Response = 2,
}

/** llhttp error numbers the proxy acts on (llhttp's `llhttp_errno_t`). */
export const enum Errno {
  Ok = 0,
  Paused = 21,
  PausedUpgrade = 22,
  User = 24,
}

/** llhttp_t field offsets in wasm32 memory (llhttp 9.x: see llhttp.h). */
const OFF_CONTENT_LENGTH = 32;
const OFF_FLAGS = 50;
export const F_CHUNKED = 1 << 3;
export const F_CONTENT_LENGTH = 1 << 5;
export const F_TRANSFER_ENCODING = 1 << 9;

/** What a parser reports. Strings are latin1 (one char per byte), as HTTP/1.1 heads are bytes. */
export interface ParserEvents {
  onUrl(s: string): void;
  onStatus(s: string): void;
  onHeaderField(s: string): void;
  onHeaderValue(s: string): void;
  /** The head is complete; the parser pauses right after it. */
  onHeadersComplete(status: number, upgrade: boolean, keepAlive: boolean): void;
  /** Body bytes of a chunked message, decoded: chunk[start, end). */
  onBody(chunk: Buffer, start: number, end: number): void;
  onMessageComplete(): void;
}

interface Exports {
  memory: WasmMemory;
  malloc(n: number): number;
  free(p: number): void;
  llhttp_alloc(type: number): number;
  llhttp_free(p: number): void;
  llhttp_execute(p: number, data: number, len: number): number;
  llhttp_resume(p: number): void;
  llhttp_reset(p: number): void;
  llhttp_finish(p: number): number;
  llhttp_get_error_pos(p: number): number;
  llhttp_get_error_reason(p: number): number;
  llhttp_get_method(p: number): number;
  llhttp_get_http_major(p: number): number;
  llhttp_get_http_minor(p: number): number;
  llhttp_method_name(m: number): number;
  llhttp_message_needs_eof(p: number): number;
}

const parsers = new Map<number, Parser>();
/** The chunk being executed and its address in wasm memory. */
let chunk: Buffer = Buffer.alloc(0);
let chunkStart = 0;
let chunkPtr = 0;

function dispatch(p: number): Parser {
  return parsers.get(p) as Parser;
}
function text(at: number, len: number): string {
  const from = at - chunkPtr + chunkStart;
  return latin1(chunk, from, from + len);
}

const imports = {
  env: {
    wasm_on_message_begin: (): number => 0,
    wasm_on_url: (p: number, at: number, len: number): number => (dispatch(p).events.onUrl(text(at, len)), 0),
    wasm_on_status: (p: number, at: number, len: number): number => (dispatch(p).events.onStatus(text(at, len)), 0),
    wasm_on_header_field: (p: number, at: number, len: number): number => (dispatch(p).events.onHeaderField(text(at, len)), 0),
    wasm_on_header_value: (p: number, at: number, len: number): number => (dispatch(p).events.onHeaderValue(text(at, len)), 0),
    wasm_on_headers_complete: (p: number, status: number, upgrade: number, keepAlive: number): number => {
      dispatch(p).events.onHeadersComplete(status, upgrade === 1, keepAlive === 1);
      return Errno.Paused;
    },
    wasm_on_body: (p: number, at: number, len: number): number => {
      const from = at - chunkPtr + chunkStart;
      const parser = dispatch(p);
      parser.events.onBody(chunk, from, from + len);
      return parser.failure === undefined ? 0 : Errno.User;
    },
    wasm_on_message_complete: (p: number): number => {
      dispatch(p).events.onMessageComplete();
      return Errno.Paused;
    },
  },
};

const instance = new WebAssembly.Instance(new WebAssembly.Module(WASM), imports);
const w = instance.exports as unknown as Exports;
(w as unknown as { _initialize(): void })._initialize();

let bufPtr = 0;
let bufSize = 0;
/** Views of the instance's memory, made again only when the memory grows (its ArrayBuffer is then replaced). */
let memBytes = Buffer.from(w.memory.buffer);
let memView = new DataView(w.memory.buffer);
function memory(): Buffer {
  if (memBytes.buffer !== w.memory.buffer) {
    memBytes = Buffer.from(w.memory.buffer);
    memView = new DataView(w.memory.buffer);
  }
  return memBytes;
}

function cString(ptr: number): string {
  const mem = memory();
  let end = ptr;
  while (mem[end] !== 0) end++;
  return latin1(mem, ptr, end);
}

export class Parser {
  private readonly ptr: number;
  /** Offset in the last executed chunk where the parser stopped (after a pause or an error). */
  public pos = 0;
  /** Set by fail() from a body callback: the parser stops with Errno.User and this reason. */
  public failure: string | undefined;

  public constructor(
    kind: ParserKind,
    public readonly events: ParserEvents,
  ) {
    this.ptr = w.llhttp_alloc(kind);
    parsers.set(this.ptr, this);
  }

  /**
   * Parses data[start, end). Returns Errno.Ok when all of it was consumed, Paused after a head or a message end
   * (`pos` says where), PausedUpgrade after an upgrade request, or another llhttp error number.
   */
  public execute(data: Buffer, start: number, end: number): number {
    const len = end - start;
    if (len > bufSize) {
      if (bufPtr !== 0) w.free(bufPtr);
      bufSize = Math.ceil(len / 16_384) * 16_384;
      bufPtr = w.malloc(bufSize);
    }
    data.copy(memory(), bufPtr, start, end);
    chunk = data;
    chunkStart = start;
    chunkPtr = bufPtr;
    const ret = w.llhttp_execute(this.ptr, bufPtr, len);
    this.pos = ret === Errno.Ok ? end : w.llhttp_get_error_pos(this.ptr) - bufPtr + start;
    return ret;
  }

  /** Continues after a pause; the next execute() goes on where it stopped. */
  public resume(): void {
    w.llhttp_resume(this.ptr);
  }

  /** Back to the start of a message (after the caller consumed a body itself). */
  public reset(): void {
    this.failure = undefined;
    w.llhttp_reset(this.ptr);
  }

  /** From inside onBody: stop parsing with `reason`. */
  public fail(reason: string): void {
    this.failure = reason;
  }

  public get errorReason(): string {
    return this.failure ?? cString(w.llhttp_get_error_reason(this.ptr));
  }

  public get method(): string {
    return cString(w.llhttp_method_name(w.llhttp_get_method(this.ptr)));
  }

  public get versionMajor(): number {
    return w.llhttp_get_http_major(this.ptr);
  }

  public get versionMinor(): number {
    return w.llhttp_get_http_minor(this.ptr);
  }

  /** llhttp's flags for the current message (F_CHUNKED, F_CONTENT_LENGTH, F_TRANSFER_ENCODING...). */
  public get flags(): number {
    memory();
    return memView.getUint16(this.ptr + OFF_FLAGS, true);
  }

  /** The parsed Content-Length (valid when F_CONTENT_LENGTH is set). */
  public get contentLength(): number {
    memory();
    return Number(memView.getBigUint64(this.ptr + OFF_CONTENT_LENGTH, true));
  }

  public destroy(): void {
    if (!parsers.delete(this.ptr)) return;
    w.llhttp_free(this.ptr);
  }
}

/** llhttp hands header values with their trailing whitespace (OWS is not part of the value, RFC 9110 5.5). */
export function trimValues(list: string[]): string[] {
  for (let i = 1; i < list.length; i += 2) {
    const v = list[i];
    const c = v.charCodeAt(v.length - 1);
    if (c === 32 || c === 9) list[i] = v.trimEnd();
  }
  return list;
}

/** Header fields as llhttp hands them over: a name or a value may arrive in pieces, split across reads. */
export class HeadFields {
  private list: string[] = [];
  private inValue = false;

  public name(s: string): void {
    if (this.inValue || this.list.length === 0) {
      this.list.push(s, '');
      this.inValue = false;
    } else {
      this.list[this.list.length - 2] += s;
    }
  }

  public value(s: string): void {
    this.inValue = true;
    this.list[this.list.length - 1] += s;
  }

  /** The flat [name, value, ...] list, values trimmed; the next head starts a new list. */
  public take(): string[] {
    const list = trimValues(this.list);
    this.list = [];
    this.inValue = false;
    return list;
  }
}
