import { describe, expect, it } from 'vitest';
import { isSeverity, SEVERITIES, severityRank } from './severity.js';

describe('severity', () => {
  it('ranks low 1 … critical 4, in SEVERITIES order', () => {
    expect(SEVERITIES.map(severityRank)).toEqual([1, 2, 3, 4]);
    expect(SEVERITIES).toEqual(['low', 'medium', 'high', 'critical']);
  });

  it('recognises the four names only', () => {
    expect(isSeverity('high')).toBe(true);
    expect(isSeverity('HIGH')).toBe(false);
    expect(isSeverity(3)).toBe(false);
  });
});
