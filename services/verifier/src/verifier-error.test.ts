import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { toStatus, VerifierError, type VerifierErrorCode } from './verifier-error.js';

describe('the verifier’s one error table', () => {
  it.each([
    ['UNAUTHENTICATED', status.UNAUTHENTICATED],
    ['PERMISSION_DENIED', status.PERMISSION_DENIED],
    ['INVALID_ARGUMENT', status.INVALID_ARGUMENT],
    ['OUT_OF_RANGE', status.OUT_OF_RANGE],
    ['NOT_FOUND', status.NOT_FOUND],
    ['NOT_ANCHORED', status.UNAVAILABLE],
    ['TAMPERED', status.DATA_LOSS],
  ] as [VerifierErrorCode, status][])('%s → %s', (code, expected) => {
    const mapped = toStatus(new VerifierError(code, 'page_size: at most 1000'));
    expect(mapped.code).toBe(expected);
    expect(mapped.details).toBe('page_size: at most 1000');
  });

  it('a database that is away: UNAVAILABLE with retry advice; anything else INTERNAL', () => {
    const away = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(toStatus(away).details).toBe("the verifier's database is unavailable; retry in 1 s");
    expect(toStatus(new TypeError('x is undefined'))).toEqual({
      code: status.INTERNAL,
      details: 'internal error',
    });
  });
});
