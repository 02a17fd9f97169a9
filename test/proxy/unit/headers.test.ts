import { forwardRequestHeaders, forwardResponseHeaders, hostProblem, isHopByHopHeader, RequestIds, serializeHead } from '../../../src/proxy/http/headers';

const info = { remoteAddress: '127.0.0.9', proto: 'http' as const, requestId: 'rid-1' };

function toMap(flat: string[]): Record<string, string[]> {
  const m: Record<string, string[]> = {};
  for (let i = 0; i < flat.length; i += 2) (m[flat[i].toLowerCase()] ??= []).push(flat[i + 1]);
  return m;
}

describe('hop-by-hop headers', () => {
  test.each(['Connection', 'Keep-Alive', 'Proxy-Authorization', 'proxy-connection', 'TE', 'Trailer', 'Transfer-Encoding', 'Upgrade'])(
    '%s is hop-by-hop',
    (h) => expect(isHopByHopHeader(h)).toBe(true),
  );
  test.each(['Host', 'Content-Length', 'X-Proxy-Id', 'Cookie', 'Trailers'])('%s is end-to-end', (h) =>
    expect(isHopByHopHeader(h)).toBe(false),
  );

  test('strips hop-by-hop request headers and the ones Connection lists, keeps Host and duplicates', () => {
    const out = toMap(
      forwardRequestHeaders(
        ['Host', 'example.com', 'Connection', 'keep-alive, X-Secret', 'X-Secret', 's', 'Keep-Alive', 'timeout=5', 'TE', 'trailers',
          'Transfer-Encoding', 'chunked', 'Proxy-Authorization', 'Basic x', 'Accept', 'a', 'Accept', 'b', 'Expect', '100-continue'],
        info,
      ),
    );
    expect(out.host).toEqual(['example.com']);
    expect(out.accept).toEqual(['a', 'b']);
    for (const h of ['connection', 'x-secret', 'keep-alive', 'te', 'transfer-encoding', 'proxy-authorization', 'expect']) {
      expect(out[h]).toBeUndefined();
    }
  });

  test('appends X-Forwarded-For, sets X-Forwarded-Proto/Host and X-Request-Id when absent', () => {
    const out = toMap(forwardRequestHeaders(['Host', 'h:1', 'X-Forwarded-For', '1.2.3.4'], info));
    expect(out['x-forwarded-for']).toEqual(['1.2.3.4, 127.0.0.9']);
    expect(out['x-forwarded-proto']).toEqual(['http']);
    expect(out['x-forwarded-host']).toEqual(['h:1']);
    expect(out['x-request-id']).toEqual(['rid-1']);
  });

  test('keeps a client request id and forwarded proto', () => {
    const out = toMap(forwardRequestHeaders(['X-Request-Id', 'mine', 'X-Forwarded-Proto', 'https'], info));
    expect(out['x-request-id']).toEqual(['mine']);
    expect(out['x-forwarded-proto']).toEqual(['https']);
  });

  test('keeps Upgrade for an upgrade hand-off', () => {
    const out = toMap(forwardRequestHeaders(['Connection', 'Upgrade', 'Upgrade', 'websocket'], info, true));
    expect(out.upgrade).toEqual(['websocket']);
    expect(out.connection).toEqual(['upgrade']);
  });

  test('strips hop-by-hop response headers and the ones Connection lists; keeps duplicates, case and order', () => {
    const scan = { contentLength: -1, loadValue: undefined as string | undefined, transferEncoding: undefined as string | undefined };
    const raw = [
      'Connection', 'close, X-Hop',
      'X-Hop', '1',
      'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked',
      'Set-Cookie', 'a=1',
      'Content-Type', 'text/plain',
      'Set-Cookie', 'b=2',
      'Content-Length', '2',
      'X-Backend-Load', '0.5',
    ];
    expect(forwardResponseHeaders(raw, 'x-backend-load', scan)).toEqual([
      'Set-Cookie', 'a=1',
      'Content-Type', 'text/plain',
      'Set-Cookie', 'b=2',
      'Content-Length', '2',
      'X-Backend-Load', '0.5',
    ]);
    expect(scan).toEqual({ contentLength: 2, loadValue: '0.5', transferEncoding: 'chunked' });
  });

  test('serializes a head from a flat list', () => {
    expect(serializeHead('HTTP/1.1 200 OK', ['a', '1', 'B', '2'])).toBe('HTTP/1.1 200 OK\r\na: 1\r\nB: 2\r\n\r\n');
  });

  test('request ids are unique and cheap', () => {
    const ids = new RequestIds();
    const seen = new Set(Array.from({ length: 1000 }, () => ids.next()));
    expect(seen.size).toBe(1000);
  });

  test('a Connection header cannot remove Host or Content-Length', () => {
    const out = toMap(forwardRequestHeaders(['Host', 'shop.test', 'Content-Length', '3', 'Connection', 'host, content-length, x-a', 'X-A', '1'], info));
    expect(out.host).toEqual(['shop.test']);
    expect(out['content-length']).toEqual(['3']);
    expect(out['x-a']).toBeUndefined();
  });
});

describe('Host validation', () => {
  test.each([
    [['Host', 'shop.test:8080']],
    [['Host', '[fd00::1]:443']],
    [['Host', '10.0.0.7']],
    [[]],
  ])('accepts %p', (raw) => expect(hostProblem(raw)).toBeUndefined());

  test.each([
    [['Host', 'a.test', 'host', 'b.test'], 'more than one Host header'],
    [['Host', 'a.test b.test'], 'characters outside an authority'],
    [['Host', 'a.test/evil'], 'characters outside an authority'],
    [['Host', 'user@a.test'], 'characters outside an authority'],
  ])('fails %p', (raw, reason) => expect(hostProblem(raw)).toContain(reason));
});
