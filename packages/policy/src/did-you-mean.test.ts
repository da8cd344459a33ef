import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from './did-you-mean.js';

describe('didYouMean', () => {
  it('suggests the closest known word', () => {
    expect(didYouMean('severty', ['id', 'severity', 'description'])).toBe(' (did you mean "severity"?)');
    expect(didYouMean('tenant', ['tenants', 'rules'])).toBe(' (did you mean "tenants"?)');
  });

  it('stays silent when nothing is close', () => {
    expect(didYouMean('colour', ['id', 'severity'])).toBe('');
  });

  it('measures edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
