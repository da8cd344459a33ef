import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { errorStatus } from './error-status.js';

type SampleCode = 'NOT_FOUND' | 'NOT_READY' | 'BAD_FIELD';
class SampleError extends Error {
  constructor(
    readonly code: SampleCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const toStatus = errorStatus({
  errors: [SampleError],
  table: { NOT_FOUND: status.NOT_FOUND, NOT_READY: status.UNAVAILABLE, BAD_FIELD: status.INVALID_ARGUMENT },
  database: "the sample's database",
  details: (error) =>
    error instanceof SampleError && error.field ? `${error.field}: ${error.message}` : error.message,
});

describe('errorStatus: one table at the edge', () => {
  it.each([
    ['NOT_FOUND', status.NOT_FOUND],
    ['NOT_READY', status.UNAVAILABLE],
    ['BAD_FIELD', status.INVALID_ARGUMENT],
  ] as const)('maps %s by the table', (code, expected) => {
    expect(toStatus(new SampleError(code, 'why')).code).toBe(expected);
  });

  it('keeps the details the service gives (the field first)', () => {
    expect(toStatus(new SampleError('BAD_FIELD', 'too long', 'events[2].actor')).details).toBe(
      'events[2].actor: too long',
    );
  });

  it('adds retry advice to UNAVAILABLE answers', () => {
    expect(toStatus(new SampleError('NOT_READY', 'later')).metadata?.get('grpc-retry-pushback-ms')).toEqual([
      '1000',
    ]);
  });

  it('answers a database that is away UNAVAILABLE, saying to retry', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const mapped = toStatus(refused);
    expect(mapped.code).toBe(status.UNAVAILABLE);
    expect(mapped.details).toBe("the sample's database is unavailable; retry in 1 s");
    expect(mapped.metadata?.get('grpc-retry-pushback-ms')).toEqual(['1000']);
  });

  it('hides anything else behind INTERNAL', () => {
    expect(toStatus(new Error('secret detail'))).toEqual({
      code: status.INTERNAL,
      details: 'internal error',
    });
  });
});
