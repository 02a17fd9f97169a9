import { compare, simulate, toMarkdown } from '../../src/simulate';
import { shipped } from './helpers';

describe('determinism', () => {
  const scenario = { ...shipped('churn'), durationMs: 25_000 };

  test('the same seed gives a byte-identical report', () => {
    const a = toMarkdown(compare(['peak-ewma', 'p2c'], scenario, { seed: 7 }));
    const b = toMarkdown(compare(['peak-ewma', 'p2c'], scenario, { seed: 7 }));
    expect(a.length).toBeGreaterThan(1000);
    expect(b).toBe(a);
  });

  test('the same seed gives equal figures, down to every bucket', () => {
    expect(simulate('peak-ewma', scenario, { seed: 3 })).toEqual(simulate('peak-ewma', scenario, { seed: 3 }));
  });

  test('a different seed gives a different report', () => {
    const a = toMarkdown(compare(['peak-ewma'], scenario, { seed: 7 }));
    const b = toMarkdown(compare(['peak-ewma'], scenario, { seed: 8 }));
    expect(b).not.toBe(a);
  });

  test('algorithms see the same arrivals (common random numbers): the request count is equal under open-loop load', () => {
    const counts = ['peak-ewma', 'round-robin', 'jsq'].map((a) => simulate(a, scenario, { oracle: false }).requests);
    expect(new Set(counts).size).toBe(1);
  });
});
