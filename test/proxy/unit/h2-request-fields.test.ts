/**
 * Request header lists from HTTP/2 clients (src/proxy/h2/request-fields.ts): what RFC 9113 8.2-8.3 calls malformed is
 * refused, naming the problem, and a good list is shaped for HTTP/1.1 (Host from :authority, cookies joined).
 */
import { readRequestFields, RequestFields } from '../../../src/proxy/h2/request-fields';

const BASE = [':method', 'GET', ':scheme', 'https', ':authority', 'shop.example', ':path', '/cart?x=1'];

function read(list: string[]): RequestFields | string {
  const r: RequestFields = { method: '', scheme: '', authority: undefined, path: '', fields: [], contentLength: -1, teTrailers: false };
  return readRequestFields(list, r) ?? r;
}

describe('readRequestFields', () => {
  it('splits the pseudo-headers off, adds Host from :authority, joins cookie crumbs and keeps te: trailers apart', () => {
    const r = read([...BASE, 'cookie', 'a=1', 'accept', '*/*', 'cookie', 'b=2', 'te', 'trailers', 'content-length', '12']);
    expect(r).toEqual({
      method: 'GET',
      scheme: 'https',
      authority: 'shop.example',
      path: '/cart?x=1',
      fields: ['accept', '*/*', 'content-length', '12', 'cookie', 'a=1; b=2', 'host', 'shop.example'],
      contentLength: 12,
      teTrailers: true,
    });
  });

  it('keeps a Host field the client sent instead of adding one', () => {
    const r = read([...BASE, 'host', 'other.example']) as RequestFields;
    expect(r.fields).toEqual(['host', 'other.example']);
  });

  it('takes OPTIONS *', () => {
    expect((read([':method', 'OPTIONS', ':scheme', 'http', ':path', '*']) as RequestFields).path).toBe('*');
  });

  it.each([
    ['an upper-case name', [...BASE, 'X-Up', '1'], 'field name "X-Up"'],
    ['a pseudo-header after a regular field', [':method', 'GET', 'x', '1', ':path', '/'], 'pseudo-header :path after a regular field'],
    ['an unknown pseudo-header', [...BASE, ':status', '200'], 'pseudo-header :status'],
    ['a repeated :path', [...BASE, ':path', '/again'], 'a repeated or empty :path'],
    ['no :method', [':scheme', 'http', ':path', '/'], 'no :method'],
    ['no :path', [':method', 'GET', ':scheme', 'http'], 'no :scheme or :path'],
    ['a :path not starting with /', [':method', 'GET', ':scheme', 'http', ':path', 'x'], ':path "x"'],
    ['CONNECT', [':method', 'CONNECT', ':authority', 'a:443'], 'CONNECT, which this proxy does not tunnel over HTTP/2'],
    ['connection', [...BASE, 'connection', 'close'], 'connection-specific field connection'],
    ['transfer-encoding', [...BASE, 'transfer-encoding', 'chunked'], 'connection-specific field transfer-encoding'],
    ['upgrade', [...BASE, 'upgrade', 'websocket'], 'connection-specific field upgrade'],
    ['te other than trailers', [...BASE, 'te', 'gzip'], 'te "gzip"'],
    ['a value with CR LF', [...BASE, 'x-a', 'v\r\nx-injected: 1'], 'the value of x-a'],
    ['a value with NUL', [...BASE, 'x-a', 'v\0'], 'the value of x-a'],
    ['a value with a leading space', [...BASE, 'x-a', ' v'], 'the value of x-a'],
    ['a :path with a space', [':method', 'GET', ':scheme', 'http', ':path', '/a b'], 'the value of :path'],
    ['a non-numeric content-length', [...BASE, 'content-length', '1e3'], 'content-length "1e3"'],
    ['two different content-lengths', [...BASE, 'content-length', '1', 'content-length', '2'], 'conflicting content-length fields'],
  ])('refuses %s', (_name, list, why) => {
    expect(read(list)).toBe(why);
  });
});
