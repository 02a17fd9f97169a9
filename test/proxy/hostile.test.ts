/**
 * Hostile and malformed HTTP/1.1 requests, sent byte for byte over raw TCP to the bundled proxy.
 *
 * For every case: the proxy answers 4xx (or 501/505 where RFC 9112 names them) or closes the connection; the backend,
 * which records and strictly parses every byte it gets, never sees an ambiguous request (both CL and TE, two Hosts,
 * a bare LF, a non-origin-form target...) nor a smuggled one; and afterwards a normal GET still gets 200.
 * A few cases are valid HTTP that a proxy may either reject or forward: those are `reject-or-clean`, and when
 * forwarded the backend must see one well-framed request and nothing smuggled (RFC 9110 8.6, RFC 9112 3.2.2, 5.2).
 */
import {
  BackendRequest,
  Exchange,
  ProxyProcess,
  RecordingBackend,
  Step,
  endpointBlame,
  exchange,
  freePort,
  httpGet,
  show,
  sleep,
} from './hostile-helpers';

const PROXY_HOST = '127.0.0.66';
const BACKEND_HOST = '127.0.0.67';
const HEADERS_MS = 1_000;
const REQUEST_MS = 3_000;
const IDLE_MS = 1_500;
const MAX_HEADER_BYTES = 4_096;
const H = 'Host: hostile.test\r\n';

interface HostileCase {
  readonly name: string;
  /** The bytes to send; `t` is this case's unique target, `s` a target that must never reach the backend. */
  readonly send: (t: string, s: string) => Step[];
  /** reject: 4xx or close, nothing 2xx. reject-or-clean: that, or forwarded as one sound request. */
  readonly expect?: 'reject' | 'reject-or-clean';
  /** What of the case's own request may reach the backend when rejected: nothing, or an unfinished request. */
  readonly forward?: 'none' | 'incomplete';
  /** Statuses other than 4xx that count as a rejection here (501 for unknown codings, 505 for versions). */
  readonly statuses?: readonly number[];
  /** The connection must be closed after the answer: framing is lost, nothing after it can be trusted. */
  readonly mustClose?: boolean;
  /** Valid requests sent before the hostile one on the same connection, each allowed one 2xx answer. */
  readonly leadingOk?: number;
  readonly maxMs?: number;
  readonly check?: (x: Exchange) => string[];
  /** For reject-or-clean: what must hold of the request the backend got, when the proxy forwarded it. */
  readonly forwarded?: (r: BackendRequest) => string[];
}

const post = (t: string, headers: string, body: string) => `POST ${t} HTTP/1.1\r\n${H}${headers}\r\n${body}`;
const smuggled = (s: string) => `GET ${s} HTTP/1.1\r\n${H}\r\n`;
const chunkedPost = (t: string, body: string) => post(t, 'Transfer-Encoding: chunked\r\n', body);
const get = (t: string, headers = '') => `GET ${t} HTTP/1.1\r\n${H}${headers}\r\n`;

const CASES: HostileCase[] = [
  // --- smuggling: conflicting framing ---
  {
    name: 'rejects CL.TE smuggling: Content-Length and Transfer-Encoding: chunked together',
    send: (t, s) => [post(t, `Content-Length: 6\r\nTransfer-Encoding: chunked\r\n`, `0\r\n\r\n${smuggled(s)}`)],
    mustClose: true,
  },
  {
    name: 'rejects TE.CL smuggling: a chunk that holds a request, with a short Content-Length',
    send: (t, s) => {
      const inner = `GPOST ${s} HTTP/1.1\r\n${H}Content-Length: 15\r\n\r\nx=1`;
      return [post(t, `Content-Length: 4\r\nTransfer-Encoding: chunked\r\n`, `${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`)];
    },
    mustClose: true,
  },
  {
    name: 'rejects TE.TE smuggling: a second, unknown Transfer-Encoding with Content-Length',
    send: (t, s) => [
      post(t, `Content-Length: 4\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: cow\r\n`, `5c\r\n${smuggled(s)}0\r\n\r\n`),
    ],
    statuses: [501],
    mustClose: true,
  },
  {
    name: 'rejects two different Content-Length headers',
    send: (t, s) => [post(t, 'Content-Length: 5\r\nContent-Length: 45\r\n', `hello${smuggled(s)}`)],
    mustClose: true,
  },
  {
    name: 'rejects or folds two identical Content-Length headers into one',
    send: (t) => [post(t, 'Content-Length: 5\r\nContent-Length: 5\r\n', 'hello')],
    expect: 'reject-or-clean',
  },
  {
    name: 'rejects or folds a Content-Length list of identical values',
    send: (t) => [post(t, 'Content-Length: 5, 5\r\n', 'hello')],
    expect: 'reject-or-clean',
  },
  { name: 'rejects a Content-Length with a plus sign', send: (t) => [post(t, 'Content-Length: +5\r\n', 'hello')], mustClose: true },
  { name: 'rejects a negative Content-Length', send: (t) => [post(t, 'Content-Length: -1\r\n', 'hello')], mustClose: true },
  { name: 'rejects a hexadecimal Content-Length', send: (t) => [post(t, 'Content-Length: 0x5\r\n', 'hello')], mustClose: true },
  {
    name: 'rejects a Content-Length with a space inside the number',
    send: (t) => [post(t, 'Content-Length: 1 0\r\n', 'helloworld')],
    mustClose: true,
  },
  {
    name: 'rejects a Content-Length that overflows 64 bits',
    send: (t) => [post(t, 'Content-Length: 99999999999999999999999\r\n', 'hello')],
    statuses: [413],
    mustClose: true,
  },
  { name: 'rejects an empty Content-Length', send: (t) => [post(t, 'Content-Length: \r\n', 'hello')], mustClose: true },
  // --- Transfer-Encoding ---
  {
    name: 'rejects Transfer-Encoding: chunked, identity (chunked not last)',
    send: (t) => [post(t, 'Transfer-Encoding: chunked, identity\r\n', '5\r\nhello\r\n0\r\n\r\n')],
    statuses: [501],
    mustClose: true,
  },
  {
    name: 'rejects Transfer-Encoding: identity',
    send: (t) => [post(t, 'Transfer-Encoding: identity\r\n', 'hello')],
    statuses: [501],
    mustClose: true,
  },
  {
    name: 'rejects Transfer-Encoding: xchunked',
    send: (t) => [post(t, 'Transfer-Encoding: xchunked\r\n', '5\r\nhello\r\n0\r\n\r\n')],
    statuses: [501],
    mustClose: true,
  },
  {
    name: 'rejects "Transfer-Encoding : chunked" (space before the colon) with Content-Length',
    send: (t, s) => [post(t, 'Transfer-Encoding : chunked\r\nContent-Length: 5\r\n', `0\r\n\r\n${smuggled(s)}`)],
    mustClose: true,
  },
  {
    name: 'rejects "Transfer-Encoding: chunked " (trailing space) with Content-Length',
    send: (t, s) => [post(t, 'Transfer-Encoding: chunked \r\nContent-Length: 4\r\n', `5c\r\n${smuggled(s)}0\r\n\r\n`)],
    mustClose: true,
  },
  {
    name: 'rejects Transfer-Encoding with a vertical tab before chunked',
    send: (t) => [post(t, 'Transfer-Encoding: \x0bchunked\r\n', '5\r\nhello\r\n0\r\n\r\n')],
    statuses: [501],
    mustClose: true,
  },
  {
    name: 'rejects or soundly reframes Transfer-Encoding: chunked on HTTP/1.0',
    send: (t) => [`POST ${t} HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`],
    expect: 'reject-or-clean',
  },
  // --- chunked bodies ---
  {
    name: 'rejects a non-hex chunk size',
    send: (t) => [chunkedPost(t, 'zz\r\nhello\r\n0\r\n\r\n')],
    forward: 'incomplete',
    mustClose: true,
  },
  {
    name: 'rejects a chunk size that overflows 64 bits',
    send: (t, s) => [chunkedPost(t, `ffffffffffffffffffffff\r\n${smuggled(s)}\r\n0\r\n\r\n`)],
    forward: 'incomplete',
    statuses: [413],
    mustClose: true,
  },
  {
    name: 'rejects a negative chunk size',
    send: (t) => [chunkedPost(t, '-5\r\nhello\r\n0\r\n\r\n')],
    forward: 'incomplete',
    mustClose: true,
  },
  {
    name: 'rejects chunk data not followed by CRLF',
    send: (t, s) => [chunkedPost(t, `5\r\nhelloXX0\r\n\r\n${smuggled(s)}`)],
    forward: 'incomplete',
    mustClose: true,
  },
  {
    name: 'rejects a chunk size line ended by a bare LF',
    send: (t) => [chunkedPost(t, '5\nhello\r\n0\r\n\r\n')],
    forward: 'incomplete',
    mustClose: true,
  },
  {
    name: 'rejects a chunk size with a leading space',
    send: (t) => [chunkedPost(t, ' 5\r\nhello\r\n0\r\n\r\n')],
    forward: 'incomplete',
    mustClose: true,
  },
  {
    name: 'rejects a 20 KiB chunk extension',
    send: (t) => [chunkedPost(t, `5;${'a'.repeat(20_000)}=b\r\nhello\r\n0\r\n\r\n`)],
    forward: 'incomplete',
    mustClose: true,
  },
  {
    name: 'rejects a chunk extension holding a NUL and a bare LF',
    send: (t, s) => [chunkedPost(t, `5;a=\0\nx\r\nhello\r\n0\r\n\r\n${smuggled(s)}`)],
    forward: 'incomplete',
    mustClose: true,
  },
  // --- header block ---
  {
    name: `rejects a header block over limits.maxRequestHeaderBytes (${MAX_HEADER_BYTES})`,
    send: (t) => [get(t, `X-Big: ${'a'.repeat(MAX_HEADER_BYTES + 1_000)}\r\n`)],
  },
  {
    name: 'rejects 2500 headers',
    send: (t) => [get(t, 'a:1\r\n'.repeat(2_500))],
  },
  { name: 'rejects a NUL in a header value', send: (t) => [get(t, 'X-A: a\0b\r\n')] },
  { name: 'rejects a bare CR in a header value', send: (t) => [get(t, 'X-A: a\rb\r\n')] },
  {
    name: 'rejects a bare LF inside a header value (header injection)',
    send: (t) => [get(t, 'X-A: a\nX-Injected: 1\r\n')],
  },
  {
    name: 'rejects obs-fold or replaces it with a space',
    send: (t) => [get(t, 'X-Folded: a\r\n b\r\n')],
    expect: 'reject-or-clean',
  },
  { name: 'rejects a header name with a space', send: (t) => [get(t, 'X Bad: 1\r\n')] },
  { name: 'rejects a header name with a delimiter', send: (t) => [get(t, 'X(bad): 1\r\n')] },
  { name: 'rejects an empty header name', send: (t) => [get(t, ': empty\r\n')] },
  { name: 'rejects an HTTP/1.1 request without Host', send: (t) => [`GET ${t} HTTP/1.1\r\nX-A: 1\r\n\r\n`] },
  {
    name: 'rejects two different Host headers',
    send: (t) => [`GET ${t} HTTP/1.1\r\nHost: good.test\r\nHost: evil.test\r\n\r\n`],
  },
  { name: 'rejects a Host with a space in it', send: (t) => [`GET ${t} HTTP/1.1\r\nHost: good.test evil.test\r\n\r\n`] },
  // --- request line ---
  {
    name: 'rejects absolute-form or forwards it in origin-form',
    send: (t) => [`GET http://evil.test${t} HTTP/1.1\r\n${H}\r\n`],
    expect: 'reject-or-clean',
  },
  { name: 'rejects CONNECT', send: (t) => [`CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\nX-Case: ${t}\r\n\r\n`] },
  { name: 'rejects asterisk-form on GET', send: (t) => [`GET * HTTP/1.1\r\n${H}X-Case: ${t}\r\n\r\n`] },
  {
    name: 'forwards OPTIONS * or rejects it, without blaming the endpoint',
    send: (t) => [`OPTIONS * HTTP/1.1\r\n${H}X-Case: ${t}\r\n\r\n`],
    expect: 'reject-or-clean',
  },
  { name: 'rejects an HTTP/0.9 request line', send: (t) => [`GET ${t}\r\n\r\n`] },
  { name: 'rejects an HTTP/2.0 request line', send: (t) => [`GET ${t} HTTP/2.0\r\n${H}\r\n`], statuses: [505] },
  { name: 'rejects a lower-case protocol name', send: (t) => [`GET ${t} http/1.1\r\n${H}\r\n`], statuses: [505] },
  { name: 'rejects a method with a non-token character', send: (t) => [`G@T ${t} HTTP/1.1\r\n${H}\r\n`], statuses: [501] },
  { name: 'rejects a lower-case method', send: (t) => [`get ${t} HTTP/1.1\r\n${H}\r\n`], statuses: [501] },
  { name: 'rejects a 10 KiB URL', send: (t) => [`GET ${t}/${'a'.repeat(10_240)} HTTP/1.1\r\n${H}\r\n`] },
  { name: 'rejects a NUL in the URL', send: (t) => [`GET ${t}/a\0b HTTP/1.1\r\n${H}\r\n`] },
  { name: 'rejects a space inside the URL', send: (t) => [`GET ${t} x HTTP/1.1\r\n${H}\r\n`] },
  // --- pipelining and smuggling through valid-looking requests ---
  {
    name: 'does not forward a request pipelined after a bad one',
    send: (t, s) => [`${post(t, 'Content-Length: 1\r\nContent-Length: 2\r\n', 'ab')}${smuggled(s)}`],
    mustClose: true,
  },
  {
    name: 'answers a good request, rejects the bad one after it, and drops what follows',
    send: (t, s) => [`${get(t.replace('/h/', '/ok/'))}G@T ${t} HTTP/1.1\r\n${H}\r\n${smuggled(s)}`],
    leadingOk: 1,
    statuses: [501],
    mustClose: true,
  },
  {
    name: 'keeps a GET body that looks like a request inside the body (CL.0)',
    send: (t, s) => [get(t, `Content-Length: ${smuggled(s).length}\r\n`) + smuggled(s)],
    expect: 'reject-or-clean',
  },
  {
    name: 'does not unframe a body when Connection names Content-Length as hop-by-hop',
    send: (t, s) => [post(t, `Connection: keep-alive, Content-Length\r\nContent-Length: ${smuggled(s).length}\r\n`, smuggled(s))],
    expect: 'reject-or-clean',
  },
  {
    name: 'keeps Host when Connection lists it as hop-by-hop',
    send: (t) => [get(t, 'Connection: keep-alive, Host\r\n')],
    expect: 'reject-or-clean',
    forwarded: (r) => {
      const hosts = r.headers.filter(([k]) => k === 'host').map(([, v]) => v);
      return hosts.length === 1 && hosts[0] === 'hostile.test' ? [] : [`backend got Host ${JSON.stringify(hosts)}, want "hostile.test"`];
    },
  },
  {
    name: 'does not switch protocols or tunnel bytes for an h2c upgrade',
    send: (t) => [
      get(t, 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n'),
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    ],
    expect: 'reject-or-clean',
  },
  {
    name: 'never writes an error response into the body of a response still streaming',
    send: (t) => [get(`/stream${t}`), { pauseMs: 250 }, `G@T ${t} HTTP/1.1\r\n${H}\r\n`],
    // The streaming answer completes first; the bad request after it may then be answered (501) before the close.
    leadingOk: 1,
    maxMs: 3_000,
    check: (x) => {
      const raw = x.raw.toString('latin1');
      const first = raw.indexOf('HTTP/1.1 ');
      const bodyStart = raw.indexOf('\r\n\r\n', first);
      const end = raw.indexOf('\r\n0\r\n\r\n', bodyStart);
      const inBody = raw.slice(bodyStart, end < 0 ? raw.length : end);
      if (first >= 0 && /HTTP\/1\.[01] \d{3}/.test(inBody)) return ['a status line was written inside the streaming response body'];
      return x.closed ? [] : ['connection left open after the bad pipelined request'];
    },
  },
  // --- slow clients ---
  {
    name: `closes a slowloris connection soon after timeouts.headersMs (${HEADERS_MS} ms)`,
    send: (t) => [
      `GET ${t} HTTP/1.1\r\n${H}`,
      ...Array.from({ length: 30 }, (_, i): Step[] => [{ pauseMs: 200 }, `X-Slow-${i}: 1\r\n`]).flat(),
    ],
    maxMs: 7_000,
    check: (x) =>
      x.closed && (x.closedAfterMs ?? Infinity) <= HEADERS_MS + 2_000
        ? []
        : [`connection ${x.closed ? `closed only after ${x.closedAfterMs} ms` : 'still open after 7000 ms'}, want <= ${HEADERS_MS + 2_000} ms`],
  },
  {
    name: `cuts a request whose body stalls for timeouts.idleMs (${IDLE_MS} ms)`,
    send: (t) => [post(t, 'Content-Length: 100\r\n', 'aaaaa'), { pauseMs: 6_000 }],
    forward: 'incomplete',
    maxMs: 6_000,
    check: (x) =>
      x.closed && (x.closedAfterMs ?? Infinity) <= IDLE_MS + 2_000
        ? x.responses.filter((r) => r.status < 400).map((r) => `answered ${r.status} to a request it never got whole`)
        : [`connection ${x.closed ? `closed only after ${x.closedAfterMs} ms` : 'still open after 6000 ms'}, want <= ${IDLE_MS + 2_000} ms`],
  },
];

/**
 * Valid requests that must pass, so that a proxy rejecting everything cannot pass the suite. `head` is what the
 * backend must get, byte for byte, after the request line (the request id varies: `<id>`); `raw` is the body as it
 * must arrive, framing included: a chunked body passes through as sent, never re-chunked.
 */
const FWD = 'x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: hostile.test\r\nx-request-id: <id>';
const CONTROLS: Array<{ name: string; send: (t: string) => string; body: string; head: string; raw: string }> = [
  { name: 'forwards a plain GET', send: (t) => get(t), body: '', head: `${H}${FWD}`, raw: '' },
  {
    name: 'forwards a POST with Content-Length and its body',
    send: (t) => post(t, 'Content-Length: 5\r\n', 'hello'),
    body: 'hello',
    head: `${H}Content-Length: 5\r\n${FWD}`,
    raw: 'hello',
  },
  {
    name: 'forwards a chunked POST with its whole body, framing untouched',
    send: (t) => chunkedPost(t, '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'),
    body: 'hello world',
    head: `${H}${FWD}\r\ntransfer-encoding: chunked`,
    raw: '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
  },
  {
    name: 'forwards a chunked POST with a short chunk extension and a trailer as sent',
    send: (t) => chunkedPost(t, '5;name=value\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n'),
    body: 'hello',
    head: `${H}${FWD}\r\ntransfer-encoding: chunked`,
    raw: '5;name=value\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n',
  },
  {
    name: 'forwards a POST sent with Expect: 100-continue, without the Expect',
    send: (t) => post(t, 'Content-Length: 5\r\nExpect: 100-continue\r\n', 'hello'),
    body: 'hello',
    head: `${H}Content-Length: 5\r\n${FWD}`,
    raw: 'hello',
  },
  {
    name: `forwards a 2 KiB header (under maxRequestHeaderBytes ${MAX_HEADER_BYTES})`,
    send: (t) => get(t, `X-Big: ${'a'.repeat(2_048)}\r\n`),
    body: '',
    head: `${H}X-Big: ${'a'.repeat(2_048)}\r\n${FWD}`,
    raw: '',
  },
];

describe('proxy under hostile HTTP/1.1 input', () => {
  const backend = new RecordingBackend(BACKEND_HOST);
  let proxy: ProxyProcess;
  let port = 0;
  let adminPort = 0;
  let adminUrl = '';

  beforeAll(async () => {
    await backend.start();
    port = await freePort(PROXY_HOST);
    adminPort = await freePort(PROXY_HOST);
    adminUrl = `http://${PROXY_HOST}:${adminPort}`;
    proxy = new ProxyProcess(
      {
        version: 1,
        listener: { host: PROXY_HOST, port },
        admin: { host: PROXY_HOST, port: adminPort },
        upstream: { port: backend.port, sources: [{ kind: 'static', endpoints: [{ address: BACKEND_HOST }] }] },
        algorithm: { kind: 'round-robin' },
        // No retries: the backend's record must be exactly what the proxy chose to send, once.
        retries: { attempts: 0 },
        timeouts: { headersMs: HEADERS_MS, requestMs: REQUEST_MS, idleMs: IDLE_MS },
        limits: { maxRequestHeaderBytes: MAX_HEADER_BYTES },
        logging: { level: 'warn', accessLog: false },
      },
      adminUrl,
    );
    await proxy.start();
  }, 20_000);

  afterAll(async () => {
    await proxy?.stop();
    await backend.stop();
  });

  /** A normal GET on a fresh connection: the proxy must still serve after whatever came before. */
  async function stillServes(id: string): Promise<string[]> {
    const before = backend.requests.length;
    const x = await exchange(PROXY_HOST, port, [`GET /after/${id} HTTP/1.1\r\n${H}Connection: close\r\n\r\n`]);
    const got = backend.since(before).find((r) => r.target === `/after/${id}` && r.complete);
    const problems: string[] = [];
    if (x.responses[0]?.status !== 200) problems.push(`follow-up GET got ${x.responses[0]?.status ?? `no answer (${show(x.raw)})`}, want 200`);
    if (!got) problems.push('follow-up GET did not reach the backend');
    if (!proxy.alive) problems.push(`proxy exited with ${proxy.exitCode}:\n${proxy.output.slice(-2_000)}`);
    return problems;
  }

  it.each(CASES.map((c, i) => ({ ...c, id: String(i) })))(
    '$name',
    async (c) => {
      const t = `/h/${c.id}`;
      const s = `/smuggled/${c.id}`;
      const before = backend.requests.length;
      const blameBefore = await endpointBlame(adminUrl);
      const steps = c.send(t, s);
      const x = await exchange(PROXY_HOST, port, steps, { maxMs: c.maxMs });
      await sleep(100); // let a late upstream write land before we read the backend's record
      const seen = backend.since(before);
      const problems = judge(c, t, x, seen);
      const blame = await endpointBlame(adminUrl);
      if (blame.failures > blameBefore.failures || blame.ejections > blameBefore.ejections) {
        problems.push(
          `the client's bad request was blamed on the healthy backend: +${blame.failures - blameBefore.failures} upstream failure(s), +${blame.ejections - blameBefore.ejections} ejection(s)`,
        );
      }
      problems.push(...(await stillServes(c.id)));
      const sent = steps.map((st) => (typeof st === 'object' && !Buffer.isBuffer(st) ? `<pause ${st.pauseMs} ms>` : show(st))).join('');
      const context = problems.length
        ? [
            `sent: ${sent}`,
            `got (${x.closed ? `closed after ${x.closedAfterMs} ms` : 'left open'}): ${show(x.raw)}`,
            `backend saw: ${seen.map((r) => `[conn ${r.conn}, ${r.complete ? 'complete' : 'unfinished'}] ${show(r.rawHead, 300)} body ${show(r.body, 100)}`).join(' | ') || 'nothing'}`,
          ]
        : [];
      expect([...problems, ...context]).toEqual([]);
    },
    15_000,
  );

  it.each(CONTROLS.map((c, i) => ({ ...c, id: String(i) })))(
    '$name',
    async (c) => {
      const t = `/ctl/${c.id}`;
      const before = backend.requests.length;
      const x = await exchange(PROXY_HOST, port, [c.send(t)]);
      await sleep(50);
      const got = backend.since(before).filter((r) => r.target === t);
      expect(x.responses.map((r) => r.status).filter((st) => st >= 200)).toEqual([200]);
      expect(got).toHaveLength(1);
      expect(got[0].problems).toEqual([]);
      expect(got[0].complete).toBe(true);
      expect(got[0].body.toString('latin1')).toBe(c.body);
      const head = got[0].rawHead.replace(/x-request-id: [^\r]+/, 'x-request-id: <id>');
      expect(head).toBe(`${got[0].requestLine}\r\n${c.head}`);
      expect(got[0].rawBody.toString('latin1')).toBe(c.raw);
    },
    10_000,
  );

  it(`forwards a body that trickles for longer than timeouts.requestMs (${REQUEST_MS} ms) while it keeps moving`, async () => {
    const t = '/trickle';
    const before = backend.requests.length;
    const steps: Step[] = [post(t, 'Content-Length: 20\r\n', ''), ...Array.from({ length: 20 }, (): Step[] => [{ pauseMs: 200 }, 'a']).flat()];
    const x = await exchange(PROXY_HOST, port, steps, { maxMs: 7_000 });
    await sleep(50);
    const got = backend.since(before).filter((r) => r.target === t);
    expect(x.responses.map((r) => r.status)).toEqual([200]);
    expect(got.map((r) => [r.complete, r.body.toString('latin1')])).toEqual([[true, 'a'.repeat(20)]]);
  }, 10_000);

  it('is still alive and healthy after every case, with no endpoint ejected', async () => {
    expect(proxy.alive).toBe(true);
    expect((await endpointBlame(adminUrl)).ejections).toBe(0);
    expect(await httpGet(`http://${PROXY_HOST}:${adminPort}/healthz`)).toBe(200);
    expect(await stillServes('end')).toEqual([]);
  });
});

/** The backend request is this case's own: its target, in any form, or its X-Case header. */
function isMine(r: BackendRequest, t: string): boolean {
  const path = r.target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  return (
    path === t ||
    path.startsWith(`${t}/`) ||
    path.startsWith(`${t}?`) ||
    r.headers.some(([k, v]) => k === 'x-case' && v === t)
  );
}

/** Everything wrong with how the proxy handled one case; empty when it behaved. */
function judge(c: HostileCase & { id: string }, t: string, x: Exchange, seen: BackendRequest[]): string[] {
  const problems: string[] = [];
  const expectKind = c.expect ?? 'reject';
  const lead = c.leadingOk ?? 0;
  const rejectStatus = (st: number) => (st >= 400 && st < 500) || (c.statuses ?? []).includes(st);

  if (x.responses.some((r) => r.status === 101)) problems.push('proxy answered 101 Switching Protocols');
  // Valid requests before the hostile one may get 200, or go unanswered when the proxy closes on the bad one.
  let firstAfterLead = 0;
  while (firstAfterLead < lead && x.responses[firstAfterLead]?.status === 200) firstAfterLead++;
  const answer = x.responses[firstAfterLead];
  const forwarded = answer !== undefined && answer.status >= 200 && answer.status < 300;
  if (c.check) {
    problems.push(...c.check(x));
  } else if (forwarded && expectKind === 'reject-or-clean') {
    const mine = seen.filter((r) => isMine(r, t));
    if (mine.length !== 1 || !mine[0].complete) {
      problems.push(`answered ${answer.status} but the backend got ${mine.length} request(s) for ${t}, complete: ${mine.map((r) => r.complete)}`);
    } else if (c.forwarded) {
      problems.push(...c.forwarded(mine[0]));
    }
  } else if (answer === undefined) {
    if (!x.closed) problems.push(`no answer, and the connection was still open after ${c.maxMs ?? 2_500} ms`);
  } else if (!rejectStatus(answer.status)) {
    problems.push(`answered ${answer.status}, want 4xx${c.statuses ? ` or ${c.statuses.join('/')}` : ''} or a close`);
  }
  if (!forwarded && answer && c.mustClose && !x.closed) problems.push(`answered ${answer.status} but kept the connection open`);
  if (x.responses.length > firstAfterLead + 1) {
    problems.push(`answered more requests after the hostile one: ${x.responses.map((r) => r.status)}`);
  }

  for (const r of seen) {
    for (const p of r.problems) problems.push(`backend got an ambiguous request (${r.requestLine || show(r.rawHead, 80)}): ${p}`);
    if (r.target.includes('/smuggled/') || r.rawHead.includes('/smuggled/')) {
      problems.push(`backend got a smuggled request: ${show(r.rawHead, 200)}`);
    }
  }
  if (!forwarded) {
    const mine = seen.filter((r) => isMine(r, t));
    if ((c.forward ?? 'none') === 'none' && mine.length > 0) {
      problems.push(`rejected, yet the backend got ${mine.length} request(s) for it: ${mine.map((r) => show(r.rawHead, 200)).join(' | ')}`);
    }
    const done = mine.filter((r) => r.complete);
    if (c.forward === 'incomplete' && done.length > 0) {
      problems.push(`rejected, yet the backend got it as a complete request (body ${show(done[0].body, 80)})`);
    }
  }
  return problems;
}
