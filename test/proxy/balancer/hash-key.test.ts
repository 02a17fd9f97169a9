import { cookieValue, extractHashKey } from '../../../src/proxy/balancer';
import type { HeaderRecord } from '../../../src/proxy/balancer';

describe('extractHashKey', () => {
  test.each<{ name: string; headers: HeaderRecord; header: string; expected: string | undefined }>([
    { name: 'a lowercased header', headers: { 'x-user': 'u1' }, header: 'X-User', expected: 'u1' },
    { name: 'a header stored in another case', headers: { 'X-User': 'u2' }, header: 'x-user', expected: 'u2' },
    { name: 'a repeated header, joined', headers: { 'x-user': ['u1', 'u2'] }, header: 'x-user', expected: 'u1, u2' },
    { name: 'a missing header', headers: { other: 'v' }, header: 'x-user', expected: undefined },
    { name: 'an empty header', headers: { 'x-user': '' }, header: 'x-user', expected: undefined },
    { name: 'an empty list', headers: { 'x-user': [] }, header: 'x-user', expected: undefined },
  ])('reads $name', ({ headers, header, expected }) => {
    expect(extractHashKey({ source: 'header', name: header }, headers, '10.0.0.1')).toBe(expected);
  });

  test.each<{ name: string; cookie: string | string[] | undefined; expected: string | undefined }>([
    { name: 'the only cookie', cookie: 'session=abc', expected: 'abc' },
    { name: 'a cookie among others', cookie: 'theme=dark; session=abc; lang=en', expected: 'abc' },
    { name: 'a cookie with spaces around it', cookie: '  theme=dark ;  session = abc  ', expected: 'abc' },
    { name: 'a quoted cookie', cookie: 'session="abc"', expected: 'abc' },
    { name: 'a value containing "="', cookie: 'session=a=b==', expected: 'a=b==' },
    { name: 'the first of two', cookie: 'session=one; session=two', expected: 'one' },
    { name: 'cookies from two headers', cookie: ['theme=dark', 'session=abc'], expected: 'abc' },
    { name: 'no such cookie (a prefix does not match)', cookie: 'session2=x; my-session=y', expected: undefined },
    { name: 'a pair without "="', cookie: 'junk; session=abc', expected: 'abc' },
    { name: 'an empty cookie', cookie: 'session=', expected: undefined },
    { name: 'no Cookie header', cookie: undefined, expected: undefined },
  ])('reads $name', ({ cookie, expected }) => {
    expect(extractHashKey({ source: 'cookie', name: 'session' }, { cookie }, undefined)).toBe(expected);
  });

  test.each([
    { address: '10.1.2.3', expected: '10.1.2.3' },
    { address: '::ffff:10.1.2.3', expected: '10.1.2.3' },
    { address: '::FFFF:10.1.2.3', expected: '10.1.2.3' },
    { address: 'fd00::1', expected: 'fd00::1' },
    { address: undefined, expected: undefined },
  ])('reads the source address $address as $expected', ({ address, expected }) => {
    expect(extractHashKey({ source: 'source-ip' }, {}, address)).toBe(expected);
  });

  test('cookieValue parses a header value directly', () => {
    expect(cookieValue('a=1; b=2', 'b')).toBe('2');
    expect(cookieValue(undefined, 'b')).toBeUndefined();
  });
});
