import { parseLoadReport } from '../../../src/proxy/balancer';

describe('parseLoadReport', () => {
  test.each<[string, string | string[] | undefined, number | undefined]>([
    // plain numbers and percentages
    ['x-backend-load', '0.42', 0.42],
    ['x-backend-load', ' 0.42 ', 0.42],
    ['x-backend-load', '0', 0],
    ['x-backend-load', '1', 1],
    ['x-backend-load', '.5', 0.5],
    ['x-backend-load', '3.', 1],
    ['x-backend-load', '1.7', 1],
    ['x-backend-load', '42%', 0.42],
    ['x-backend-load', '42.5 %', 0.425],
    ['x-backend-load', '250%', 1],
    ['x-backend-load', ['0.3', '0.9'], 0.3],
    // ORCA text and JSON forms
    ['endpoint-load-metrics', 'TEXT cpu_utilization=0.3, mem_utilization=0.8', 0.3],
    ['endpoint-load-metrics', 'TEXT cpu_utilization=0.3, application_utilization=0.6, rps_fractional=10', 0.6],
    ['endpoint-load-metrics', 'TEXT application_utilization=0, cpu_utilization=0.25', 0.25],
    ['endpoint-load-metrics', 'TEXT cpu_utilization=2.5', 1],
    ['endpoint-load-metrics', 'TEXT named_metrics.queue=3, cpu_utilization=1e-1', 0.1],
    ['Endpoint-Load-Metrics', 'TEXT cpu_utilization=0.7', 0.7],
    ['endpoint-load-metrics', 'JSON {"cpu_utilization": 0.3, "application_utilization": 0.45}', 0.45],
    ['x-backend-load', 'TEXT cpu_utilization=0.5', 0.5],
    // garbage
    ['x-backend-load', undefined, undefined],
    ['x-backend-load', '', undefined],
    ['x-backend-load', [], undefined],
    ['x-backend-load', '-0.5', undefined],
    ['x-backend-load', 'NaN', undefined],
    ['x-backend-load', 'Infinity', undefined],
    ['x-backend-load', '0.5abc', undefined],
    ['x-backend-load', 'high', undefined],
    ['x-backend-load', '0x10', undefined],
    ['endpoint-load-metrics', '0.5', undefined],
    ['endpoint-load-metrics', 'TEXT mem_utilization=0.8', undefined],
    ['endpoint-load-metrics', 'TEXT cpu_utilization=abc', undefined],
    ['endpoint-load-metrics', 'TEXT cpu_utilization=-0.2', undefined],
    ['endpoint-load-metrics', 'TEXT cpu_utilization', undefined],
    ['endpoint-load-metrics', 'JSON {not json', undefined],
    ['endpoint-load-metrics', 'JSON [0.5]', undefined],
    ['endpoint-load-metrics', 'BIN CgUNAACAPw==', undefined],
  ])('%s: %p -> %p', (header, value, expected) => {
    expect(parseLoadReport(header, value)).toBe(expected);
  });
});
