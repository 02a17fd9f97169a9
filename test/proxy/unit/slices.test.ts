/** EndpointSlices to endpoint specs: conditions, ports, merging (pure). */
import { specsFromSlices } from '../../../src/proxy/discovery/slices';
import type { EndpointSlice } from '../../../src/proxy/discovery/slices';

const spec = { subset: 'default', weight: 1, defaultPort: 8080 };
const slice = (endpoints: NonNullable<EndpointSlice['endpoints']>, ports: EndpointSlice['ports'] = [{ name: 'http', port: 5678, protocol: 'TCP' }]): EndpointSlice => ({
  addressType: 'IPv4',
  ports,
  endpoints,
});

describe('specsFromSlices', () => {
  test('ready endpoints are in; serving-and-terminating ones are in as terminating; the rest are out', () => {
    const specs = specsFromSlices(
      [
        slice([
          { addresses: ['10.0.0.1'], conditions: { ready: true } },
          { addresses: ['10.0.0.2'], conditions: {} },
          { addresses: ['10.0.0.3'], conditions: { ready: false, serving: true, terminating: true } },
          { addresses: ['10.0.0.4'], conditions: { ready: false, serving: false, terminating: true } },
          { addresses: ['10.0.0.5'], conditions: { ready: false } },
        ]),
      ],
      spec,
    );
    expect(specs.map((s) => [s.address, s.port, s.terminating])).toEqual([
      ['10.0.0.1', 5678, false],
      ['10.0.0.2', 5678, false],
      ['10.0.0.3', 5678, true],
    ]);
  });

  test('an address in two slices counts once, with its best condition', () => {
    const terminating = slice([{ addresses: ['10.0.0.1'], conditions: { ready: false, serving: true, terminating: true } }]);
    const ready = slice([{ addresses: ['10.0.0.1'], conditions: { ready: true } }]);
    expect(specsFromSlices([terminating, ready], spec)).toEqual([expect.objectContaining({ address: '10.0.0.1', terminating: false })]);
    expect(specsFromSlices([ready, terminating], spec)).toEqual([expect.objectContaining({ address: '10.0.0.1', terminating: false })]);
  });

  test('the named port, else the first TCP port, else upstream.port; FQDN slices are skipped', () => {
    const ports = [
      { name: 'metrics', port: 9090, protocol: 'TCP' },
      { name: 'http', port: 5678, protocol: 'TCP' },
    ];
    const s = slice([{ addresses: ['10.0.0.1'] }], ports);
    expect(specsFromSlices([s], { ...spec, portName: 'http' })[0].port).toBe(5678);
    expect(specsFromSlices([s], spec)[0].port).toBe(9090);
    expect(specsFromSlices([s], { ...spec, portName: 'grpc' })).toEqual([]);
    expect(specsFromSlices([slice([{ addresses: ['10.0.0.1'] }], [])], spec)[0].port).toBe(8080);
    expect(specsFromSlices([{ ...s, addressType: 'FQDN' }], spec)).toEqual([]);
  });
});
