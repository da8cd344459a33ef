import { describe, expect, it } from 'vitest';
import { formatRate, formatRatio, measure, median, renderTable, runSection } from './harness.js';

describe('harness', () => {
  it('median of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('formats rates and ratios', () => {
    expect(formatRate(1234567.8)).toBe('1,234,568');
    expect(formatRate(12.34)).toBe('12.3');
    expect(formatRatio(4.2345)).toBe('4.23x');
    expect(formatRatio(Number.NaN)).toBe('-');
  });

  it('renders an aligned table with numbers right-aligned', () => {
    const table = renderTable([
      { impl: 'wasm', 'leaves/s': '1,000,000' },
      { impl: 'portable', 'leaves/s': '5' },
    ]);
    expect(table.split('\n')).toEqual([
      '  impl       leaves/s',
      '  --------  ---------',
      '  wasm      1,000,000',
      '  portable          5',
    ]);
  });

  it('measure runs at least minRuns timed runs plus a warm-up and reports a rate', () => {
    let calls = 0;
    const timing = measure(() => ++calls, { opsPerRun: 10, minTimeMs: 0, minRuns: 4 });
    expect(timing.runs).toBe(4);
    expect(calls).toBe(5);
    expect(timing.opsPerSec).toBeGreaterThan(0);
  });

  it('runSection returns the rows and notes its body added', async () => {
    const log = console.log;
    console.log = () => {};
    try {
      const section = await runSection('demo', (s) => {
        s.add({ a: 1 });
        s.note('n');
      });
      expect(section.rows).toEqual([{ a: 1 }]);
      expect(section.notes).toEqual(['n']);
    } finally {
      console.log = log;
    }
  });
});
