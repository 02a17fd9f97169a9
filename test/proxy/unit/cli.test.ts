import { parseArgs, UsageError } from '../../../src/proxy/cli';
import { dnsServersFromEnv } from '../../../src/proxy/config-file';
import { MIN_REFRESH_MS, refreshDelay } from '../../../src/proxy/discovery/dns';

describe('command line', () => {
  test('parses --config and the smoke flags, in both spellings', () => {
    expect(parseArgs(['--config', 'c.json'])).toEqual({ config: 'c.json', smoke: false, smokeRequests: 200, smokeTimeoutMs: 30000 });
    expect(parseArgs(['--config=c.json', '--smoke', '--smoke-requests', '5', '--smoke-timeout-ms=100'])).toEqual({
      config: 'c.json',
      smoke: true,
      smokeRequests: 5,
      smokeTimeoutMs: 100,
    });
  });

  test('fails on a missing config, an unknown flag, or a bad number', () => {
    expect(() => parseArgs([])).toThrow(UsageError);
    expect(() => parseArgs(['--config', 'c', '--nope'])).toThrow('unknown argument --nope');
    expect(() => parseArgs(['--config', 'c', '--smoke-requests', '0'])).toThrow('--smoke-requests needs a positive integer');
  });

  test('LB_DNS_SERVERS is a comma-separated list; empty means unset', () => {
    expect(dnsServersFromEnv({ LB_DNS_SERVERS: '10.96.0.10, 127.0.0.1:5353,' })).toEqual(['10.96.0.10', '127.0.0.1:5353']);
    expect(dnsServersFromEnv({ LB_DNS_SERVERS: ' , ' })).toBeUndefined();
    expect(dnsServersFromEnv({})).toBeUndefined();
  });
});

describe('DNS refresh schedule', () => {
  test.each([
    [30, 5000, 5000],
    [2, 5000, 2000],
    [0, 5000, MIN_REFRESH_MS],
    [undefined, 5000, 5000],
    [undefined, 200, MIN_REFRESH_MS],
  ])('TTL %p s with refreshIntervalMs %p re-resolves after %p ms', (ttl, interval, expected) => {
    expect(refreshDelay(ttl, interval)).toBe(expected);
  });
});
