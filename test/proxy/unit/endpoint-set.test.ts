import { EndpointSet } from '../../../src/proxy/discovery/endpoint-set';

const spec = (address: string, port = 80) => ({ address, port, weight: 1, subset: 'default' });

describe('EndpointSet', () => {
  test('reset to the same list twice changes nothing the second time', () => {
    const set = new EndpointSet();
    const changes: number[] = [];
    set.onChange((c) => changes.push(c.added.length - c.removed.length));
    set.reset('dns', [spec('10.0.0.1'), spec('10.0.0.2')]);
    const first = set.all();
    const again = set.reset('dns', [spec('10.0.0.2'), spec('10.0.0.1')]);
    expect(again.added).toHaveLength(0);
    expect(again.removed).toHaveLength(0);
    expect(set.all()).toBe(first);
    expect(changes).toEqual([2]);
  });

  test('keeps one object per address for its lifetime, so load state survives a reset', () => {
    const set = new EndpointSet();
    set.reset('dns', [spec('10.0.0.1'), spec('10.0.0.2')]);
    const ep = set.get('10.0.0.1:80')!;
    ep.inFlight = 3;
    set.reset('dns', [spec('10.0.0.1'), spec('10.0.0.3')]);
    expect(set.get('10.0.0.1:80')).toBe(ep);
    expect(set.get('10.0.0.1:80')!.inFlight).toBe(3);
    expect(set.all().map((e) => e.id)).toEqual(['10.0.0.1:80', '10.0.0.3:80']);
  });

  test('add and remove are idempotent', () => {
    const set = new EndpointSet();
    expect(set.add('a', spec('10.0.0.1')).added).toHaveLength(1);
    expect(set.add('a', spec('10.0.0.1')).added).toHaveLength(0);
    expect(set.remove('a', '10.0.0.9:80').removed).toHaveLength(0);
    expect(set.remove('a', '10.0.0.1:80').removed).toHaveLength(1);
    expect(set.remove('a', '10.0.0.1:80').removed).toHaveLength(0);
    expect(set.size).toBe(0);
  });

  test('an endpoint held by two sources stays until both drop it', () => {
    const set = new EndpointSet();
    set.reset('static', [spec('10.0.0.1')]);
    set.reset('dns', [spec('10.0.0.1'), spec('10.0.0.2')]);
    expect(set.size).toBe(2);
    set.reset('dns', []);
    expect(set.all().map((e) => e.id)).toEqual(['10.0.0.1:80']);
    set.reset('static', []);
    expect(set.size).toBe(0);
  });

  test('survivors keep their order and newcomers go last', () => {
    const set = new EndpointSet();
    set.reset('dns', [spec('10.0.0.3'), spec('10.0.0.1'), spec('10.0.0.2')]);
    set.reset('dns', [spec('10.0.0.4'), spec('10.0.0.2'), spec('10.0.0.3')]);
    expect(set.all().map((e) => e.address)).toEqual(['10.0.0.3', '10.0.0.2', '10.0.0.4']);
  });

  test('IPv6 endpoints get bracketed ids and origins', () => {
    const set = new EndpointSet();
    set.add('dns', spec('fd00::7', 8080));
    const ep = set.all()[0];
    expect(ep.id).toBe('[fd00::7]:8080');
    expect(ep.origin).toBe('http://[fd00::7]:8080');
  });
});
