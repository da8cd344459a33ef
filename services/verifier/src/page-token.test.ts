import { describe, expect, it } from 'vitest';
import { pageSizeField, pageToken, readPageToken } from './page-token.js';
import { VerifierError } from './verifier-error.js';

describe('page tokens', () => {
  it('round-trips the sort key of the last entry', () => {
    const token = pageToken([1_764_000_000_000_123, 42, 7]);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(readPageToken('page_token', token, 3)).toEqual([1_764_000_000_000_123, 42, 7]);
  });

  it.each([
    ['not base64url', 'a+b/'],
    ['the wrong number of parts', pageToken([1, 2])],
    ['a negative part', Buffer.from('1.-2.3').toString('base64url')],
    ['a leading zero', Buffer.from('1.02.3').toString('base64url')],
    ['beyond 2^53 - 1', Buffer.from('9007199254740993.1.1').toString('base64url')],
    ['too long', 'A'.repeat(129)],
  ])('refuses %s, naming the field', (_, token) => {
    expect(() => readPageToken('page_token', token, 3)).toThrow(
      new VerifierError('INVALID_ARGUMENT', 'page_token: not a token this verifier gave out'),
    );
  });

  it('takes 0 as the default page size and refuses one over the limit', () => {
    expect(pageSizeField('page_size', 0, 1000)).toBe(100);
    expect(pageSizeField('page_size', 1000, 1000)).toBe(1000);
    expect(() => pageSizeField('page_size', 1001, 1000)).toThrow(/^page_size: at most 1000 \(got 1001\)$/);
  });
});
