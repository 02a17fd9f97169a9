/**
 * Hostile HTTP/2 input on the listener (h2c with prior knowledge), sent frame by frame by a raw client
 * (./h2-frames.ts) to the bundled proxy, on every runtime the pod may use (this Node, and the pod image's).
 *
 * For every case: the proxy stays up (a fresh h2c request and an HTTP/1.1 request still get 200 afterwards), its
 * memory stays bounded (VmRSS and VmHWM from /proc grow by less than MAX_GROWTH over the attack), the backend never
 * sees the hostile requests (at most a bounded number for the rapid reset), and the offending connection is closed,
 * by GOAWAY with the error code named and/or the socket's close, within a bounded time. Mistakes in one header list (a
 * bad pseudo-header, a connection-specific field) reset that stream with PROTOCOL_ERROR; repeated, they close the
 * connection.
 */
import * as http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import {
  RawH2,
  block,
  continuation,
  errorName,
  getFields,
  headers,
  literal,
  literalIndexed,
  rstStream,
  tableSizeUpdate,
} from './h2-frames';
import { Backend, RunningProxy, cleanTmp, request, sleep, startBackend, startProxy, waitFor } from './helpers';
import { PROXY_NODES } from './runtime';

const PROXY_HOST = '127.0.0.68';
const BACKEND_HOST = '127.0.0.69';
const MiB = 1024 * 1024;
/** How much the proxy's resident memory (now, and its high-water mark) may grow over one attack. */
const MAX_GROWTH = 64 * MiB;
/** How long the proxy may take to close an offending connection, from the connection's start. */
const CLOSE_WITHIN_MS = 5_000;
/** Long enough that no close the cases look for can come from the idle timeout. */
const CLIENT_IDLE_MS = 15_000;
const MAX_STREAMS = 128;
const MAX_HEADER_BYTES = 16_384;

type Fields = Array<[string, string]>;
const pseudo = (path: string): Fields => [[':method', 'GET'], [':scheme', 'http'], [':authority', 'h2.test'], [':path', path]];

/** Header lists RFC 9113 section 8.2 and 8.3 call malformed; each tagged with x-case so the backend can tell. */
interface Malformed {
  readonly name: string;
  readonly fields: (id: string) => Fields;
}
const MALFORMED: ReadonlyArray<Malformed & { readonly id: string }> = ([
  { name: 'an unknown pseudo-header :foo', fields: (id) => [...pseudo('/m'), [':foo', 'bar'], ['x-case', id]] },
  {
    name: 'a pseudo-header after a regular field',
    fields: (id) => [[':method', 'GET'], [':scheme', 'http'], ['x-case', id], [':authority', 'h2.test'], [':path', '/m']],
  },
  { name: 'no :path', fields: (id) => [[':method', 'GET'], [':scheme', 'http'], [':authority', 'h2.test'], ['x-case', id]] },
  { name: 'two :path fields', fields: (id) => [...pseudo('/m'), [':path', '/n'], ['x-case', id]] },
  { name: 'an uppercase field name', fields: (id) => [...pseudo('/m'), ['X-Upper', '1'], ['x-case', id]] },
  { name: 'connection: keep-alive', fields: (id) => [...pseudo('/m'), ['connection', 'keep-alive'], ['x-case', id]] },
  { name: 'transfer-encoding: chunked', fields: (id) => [...pseudo('/m'), ['transfer-encoding', 'chunked'], ['x-case', id]] },
  { name: 'te: gzip', fields: (id) => [...pseudo('/m'), ['te', 'gzip'], ['x-case', id]] },
  { name: 'keep-alive: 5', fields: (id) => [...pseudo('/m'), ['keep-alive', '5'], ['x-case', id]] },
  { name: 'upgrade: websocket', fields: (id) => [...pseudo('/m'), ['upgrade', 'websocket'], ['x-case', id]] },
] satisfies Malformed[]).map((c, i) => ({ ...c, id: `malformed-${i}` }));

interface Attack {
  readonly c: RawH2;
  readonly rssGrowth: number;
  readonly hwmGrowth: number;
}

function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/** One GET over a fresh node:http2 session; resolves with its status (0 on any failure). */
async function h2Get(port: number, path: string): Promise<number> {
  const session = http2.connect(`http://${PROXY_HOST}:${port}`);
  session.on('error', () => undefined);
  try {
    return await new Promise<number>((resolve) => {
      const req = session.request({ ':path': path });
      const timer = setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), 3_000);
      let status = 0;
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('error', () => undefined);
      req.on('close', () => {
        clearTimeout(timer);
        resolve(status);
      });
      req.resume();
      req.end();
    });
  } finally {
    session.destroy();
  }
}

const RUNTIMES = PROXY_NODES.map((node) => ({
  node,
  runtime: node === process.execPath ? `this Node (${process.version})` : "the pod's Node",
}));

describe.each(RUNTIMES)('proxy on $runtime under hostile HTTP/2 input', ({ node, runtime }) => {
  let backend: Backend;
  let proxy: RunningProxy;
  /** The backend answers /hold/ requests once the current gate opens. */
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => undefined;
  const notes: string[] = [];

  const hold = (): (() => void) => {
    gate = new Promise((r) => (open = r));
    return open;
  };

  beforeAll(async () => {
    backend = await startBackend(BACKEND_HOST, (req, res) => {
      req.resume();
      const answer = () => res.end('ok\n');
      if (req.url?.startsWith('/hold/')) void gate.then(answer);
      else req.on('end', answer);
    });
    proxy = await startProxy(
      {
        upstream: { port: backend.port, sources: [{ kind: 'static', endpoints: [{ address: BACKEND_HOST }] }] },
        retries: { attempts: 0 },
        timeouts: { clientIdleMs: CLIENT_IDLE_MS },
        limits: { maxConcurrentStreams: MAX_STREAMS, maxRequestHeaderBytes: MAX_HEADER_BYTES },
        logging: { level: 'error', accessLog: false },
      } as never,
      { host: PROXY_HOST, node },
    );
  }, 20_000);

  afterAll(async () => {
    open();
    await proxy?.stop('SIGKILL');
    await backend?.close();
    cleanTmp();
    // The measured figures, for the notes (jest shows console output of passing suites too).
    // eslint-disable-next-line no-console
    console.log(`HTTP/2 hostile input, proxy on ${runtime}:\n${notes.join('\n')}`);
  });

  const seen = (prefix: string) => backend.seen.filter((r) => r.url.startsWith(prefix)).length;

  /** Runs one attack on a fresh connection; returns it (closed by us afterwards) and how much the proxy's memory grew. */
  async function attack(run: (c: RawH2) => Promise<void>): Promise<Attack> {
    const pid = proxy.child.pid!;
    const before = memoryOf(pid);
    const c = await RawH2.open(PROXY_HOST, proxy.port);
    try {
      await c.until(() => c.serverSettings > 0, 2_000);
      await run(c);
    } finally {
      c.destroy();
    }
    const after = memoryOf(pid);
    return { c, rssGrowth: after.rss - before.rss, hwmGrowth: after.hwm - before.hwm };
  }

  function note(what: string, m: Attack, extra = ''): void {
    const mib = (n: number) => `${n < 0 ? '' : '+'}${(n / MiB).toFixed(1)} MiB`;
    notes.push(`  ${what}: ${m.c.describe()}; RSS ${mib(m.rssGrowth)}, HWM ${mib(m.hwmGrowth)}${extra ? `; ${extra}` : ''}`);
  }

  function expectBounded(m: Attack): void {
    expect(m.rssGrowth).toBeLessThan(MAX_GROWTH);
    expect(m.hwmGrowth).toBeLessThan(MAX_GROWTH);
  }

  /** The proxy is alive and serves a fresh h2c request and an HTTP/1.1 one. */
  async function expectStillServes(id: string): Promise<void> {
    expect(proxy.child.exitCode).toBeNull();
    expect(await h2Get(proxy.port, `/after/h2/${id}`)).toBe(200);
    expect((await request(PROXY_HOST, proxy.port, `/after/h1/${id}`)).status).toBe(200);
  }

  it('closes a connection that opens and resets 20,000 streams (rapid reset), forwarding at most a few hundred', async () => {
    let sent = 0;
    const m = await attack(async (c) => {
      sent = await c.flood(20_000, (i) => Buffer.concat([headers(2 * i + 1, block(getFields(`/rr/${i}`))), rstStream(2 * i + 1)]));
      await c.waitClosed(CLOSE_WITHIN_MS);
    });
    await sleep(200); // a late upstream write lands before the backend's count is read
    note('rapid reset', m, `${sent} HEADERS+RST pairs written, backend got ${seen('/rr/')}`);
    expect(m.c.closed).toBe(true);
    expect(m.c.closedAfterMs).toBeLessThan(CLOSE_WITHIN_MS);
    // Our guard's GOAWAY, or nghttp2's own limiter's; often lost to the TCP reset of a socket closed with unread input.
    if (m.c.goaway) expect(['ENHANCE_YOUR_CALM', 'INTERNAL_ERROR']).toContain(errorName(m.c.goaway.code));
    expect(seen('/rr/')).toBeLessThanOrEqual(MAX_STREAMS);
    expectBounded(m);
    await expectStillServes('rr');
  }, 30_000);

  it('leaves open a connection that cancels 240 of its 560 streams in quick succession (a busy client, not an attack)', async () => {
    let id = 1;
    const m = await attack(async (c) => {
      for (let round = 0; round < 8 && !c.closed; round++) {
        const answered: number[] = [];
        const frames: Buffer[] = [];
        for (let j = 0; j < 70; j++, id += 2) {
          frames.push(headers(id, block(getFields(`/busy/${id}`))));
          if (j % 7 < 3) frames.push(rstStream(id));
          else answered.push(id);
        }
        await c.send(Buffer.concat(frames));
        await c.until(() => answered.every((a) => c.stream(a).ended), 3_000);
      }
      await c.send(headers(id, block(getFields('/busy/last'))));
      await c.until(() => c.stream(id).ended, 3_000);
    });
    note('busy client cancelling 3 in 7', m);
    expect(m.c.goaway).toBeUndefined();
    expect(m.c.closed).toBe(false);
    expect([m.c.stream(id).status, m.c.stream(id).ended]).toEqual([200, true]);
  }, 20_000);

  it.each([
    { what: '1 KiB header fields', piece: (i: number) => continuation(1, literal(`x-flood-${i}`, 'a'.repeat(1_024))) },
    { what: 'nothing (empty payloads)', piece: () => continuation(1, Buffer.alloc(0)) },
  ])('closes a connection that sends endless CONTINUATION frames of $what, forwarding nothing', async ({ what, piece }) => {
    const before = seen('/cont/');
    let sent = 0;
    const m = await attack(async (c) => {
      await c.send(headers(1, block(getFields('/cont/1')), { endHeaders: false }));
      sent = await c.flood(100_000, piece, 50);
      await c.waitClosed(CLOSE_WITHIN_MS);
    });
    note(`CONTINUATION of ${what}`, m, `${sent} frames written`);
    expect(m.c.closed).toBe(true);
    expect(m.c.closedAfterMs).toBeLessThan(CLOSE_WITHIN_MS);
    expect(seen('/cont/') - before).toBe(0);
    expectBounded(m);
    await expectStillServes('cont');
  });

  const HPACK_NAME =
    'answers 100 requests that each add 8 KB of fields to the HPACK table, in bounded memory, and fails the connection ' +
    'with COMPRESSION_ERROR on a table size update above its SETTINGS_HEADER_TABLE_SIZE';
  it(HPACK_NAME, async () => {
    const big = (i: number) =>
      Buffer.concat([
        block(getFields(`/hpack/${i}`)),
        literalIndexed(`x-a-${i}`, 'v'.repeat(4_000)),
        literalIndexed(`x-b-${i}`, 'w'.repeat(4_000)),
      ]);
    const m = await attack(async (c) => {
      await c.flood(100, (i) => headers(2 * i + 1, big(i)), 10);
      await c.until(() => c.stream(199).ended, 5_000);
      await c.send(headers(201, Buffer.concat([tableSizeUpdate(16 * MiB), block(getFields('/hpack/bad'))])));
      // nghttp2 sends GOAWAY and ignores the rest; Node leaves the socket open until the client or clientIdleMs closes it.
      await c.until(() => c.goaway !== undefined, CLOSE_WITHIN_MS);
    });
    note('HPACK table', m);
    const ok = [...m.c.streams.entries()].filter(([id, st]) => id < 200 && st.status === 200 && st.ended).length;
    expect(ok).toBe(100);
    expect(m.c.goaway && errorName(m.c.goaway.code)).toBe('COMPRESSION_ERROR');
    expect(m.c.goaway!.atMs).toBeLessThan(CLOSE_WITHIN_MS + 5_000);
    expect(seen('/hpack/bad')).toBe(0);
    expectBounded(m);
    await expectStillServes('hpack');
  }, 20_000);

  const OVER_LIST_NAME =
    `answers 431 to a stream whose header list is over maxHeaderListSize (${MAX_HEADER_BYTES} bytes), ` +
    'forwarding nothing, and the connection still serves';
  it(OVER_LIST_NAME, async () => {
    const fields = Array.from({ length: 30 }, (_, i): [string, string] => [`x-l-${i}`, 'z'.repeat(1_000)]);
    const list = block(getFields('/biglist/1', fields));
    const m = await attack(async (c) => {
      const [first, rest] = [list.subarray(0, 16_000), list.subarray(16_000)];
      await c.send(Buffer.concat([headers(1, first, { endHeaders: false }), continuation(1, rest, true)]));
      await c.until(() => c.stream(1).reset !== undefined || c.stream(1).headers, 2_000);
      await c.send(headers(3, block(getFields('/biglist/next'))));
      await c.until(() => c.stream(3).ended, 3_000);
    });
    note('header list over the limit', m, `stream reset with ${errorName(m.c.stream(1).reset ?? -1)}, status ${m.c.stream(1).status}`);
    expect([m.c.stream(1).status, m.c.stream(1).ended]).toEqual([431, true]);
    expect(seen('/biglist/1')).toBe(0);
    expect([m.c.stream(3).status, m.c.stream(3).ended]).toEqual([200, true]);
    expectBounded(m);
    await expectStillServes('biglist');
  });

  it(`answers all ${MAX_STREAMS} streams a client holds open at SETTINGS_MAX_CONCURRENT_STREAMS once the backend answers`, async () => {
    const release = hold();
    const m = await attack(async (c) => {
      await c.flood(MAX_STREAMS, (i) => headers(2 * i + 1, block(getFields(`/hold/a/${i}`))), MAX_STREAMS);
      await waitFor(() => seen('/hold/a/') === MAX_STREAMS, 5_000, 'every held stream at the backend');
      release();
      await c.until(() => [...c.streams.values()].filter((s) => s.ended).length === MAX_STREAMS, 5_000);
    });
    note('streams at the limit', m);
    expect([...m.c.streams.values()].filter((s) => s.ended && s.status === 200)).toHaveLength(MAX_STREAMS);
    expect(m.c.goaway).toBeUndefined();
    expectBounded(m);
  }, 20_000);

  it(`refuses the 72 streams a client opens past SETTINGS_MAX_CONCURRENT_STREAMS with REFUSED_STREAM, forwarding none, and answers the rest`, async () => {
    const release = hold();
    const m = await attack(async (c) => {
      await c.flood(MAX_STREAMS + 72, (i) => headers(2 * i + 1, block(getFields(`/hold/b/${i}`))), MAX_STREAMS + 72);
      await c.until(() => [...c.streams.values()].filter((s) => s.reset !== undefined).length === 72, 3_000);
      await waitFor(() => seen('/hold/b/') === MAX_STREAMS, 5_000, 'every admitted stream at the backend');
      release();
      await c.until(() => [...c.streams.values()].filter((s) => s.ended).length === MAX_STREAMS, 5_000);
    });
    const streams = [...m.c.streams.entries()];
    const refused = streams.filter(([, s]) => s.reset !== undefined);
    note('streams past the limit', m, `backend got ${seen('/hold/b/')}, ${refused.length} refused`);
    // RFC 9113 5.1.2: a stream error (REFUSED_STREAM) for the streams above the limit, not a connection error.
    expect(new Set(refused.map(([, s]) => errorName(s.reset ?? -1)))).toEqual(new Set(['REFUSED_STREAM']));
    expect(refused.map(([id]) => id).sort((a, b) => a - b)[0]).toBe(2 * MAX_STREAMS + 1);
    expect(streams.filter(([, s]) => s.ended && s.status === 200)).toHaveLength(MAX_STREAMS);
    expect(seen('/hold/b/')).toBe(MAX_STREAMS);
    expect(m.c.goaway).toBeUndefined();
    expect(m.c.closed).toBe(false);
    expectBounded(m);
    await expectStillServes('streams');
  }, 20_000);

  const MALFORMED_NAME = 'fails a stream with $name with RST_STREAM PROTOCOL_ERROR, forwarding nothing, and the connection still serves';
  it.each(MALFORMED)(MALFORMED_NAME, async ({ id, fields }) => {
    const m = await attack(async (c) => {
      await c.send(headers(1, block(fields(id))));
      await c.until(() => c.stream(1).reset !== undefined || c.stream(1).ended || c.goaway !== undefined, 2_000);
      await c.send(headers(3, block(getFields(`/malformed/next/${id}`))));
      await c.until(() => c.stream(3).ended, 3_000);
    });
    expect(errorName(m.c.stream(1).reset ?? -1)).toBe('PROTOCOL_ERROR');
    expect(backend.seen.filter((r) => r.headers['x-case'] === id)).toHaveLength(0);
    expect([m.c.stream(3).status, m.c.stream(3).ended]).toEqual([200, true]);
    expectBounded(m);
  });

  it('closes a connection that sends 300 malformed header lists, forwarding none', async () => {
    const bad = MALFORMED[0];
    const m = await attack(async (c) => {
      await c.flood(300, (i) => headers(2 * i + 1, block(bad.fields(`many-${i}`))), 300);
      await c.waitClosed(CLOSE_WITHIN_MS);
    });
    note('300 malformed streams', m);
    expect(m.c.closed).toBe(true);
    expect(m.c.goaway).toBeDefined();
    expect(backend.seen.filter((r) => String(r.headers['x-case']).startsWith('many-'))).toHaveLength(0);
    expectBounded(m);
    await expectStillServes('malformed');
  });
});
