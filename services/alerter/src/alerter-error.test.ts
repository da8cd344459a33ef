import { status } from '@grpc/grpc-js';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AlerterError, toGrpcStatus } from './alerter-error.js';

describe('toGrpcStatus', () => {
  it('maps refusals by their code', () => {
    expect(toGrpcStatus(new AlerterError('OUT_OF_RANGE', 'before_sequence: too large'))).toEqual({
      code: status.OUT_OF_RANGE,
      details: 'before_sequence: too large',
    });
  });

  it('answers a database outage UNAVAILABLE with a retry hint, never INTERNAL', () => {
    const restarting = Object.assign(new pg.DatabaseError('terminating connection', 0, 'error'), {
      code: '57P01',
    });
    for (const error of [restarting, new Error('Connection terminated unexpectedly')]) {
      const mapped = toGrpcStatus(error);
      expect(mapped.code).toBe(status.UNAVAILABLE);
      expect(mapped.details).toMatch(/retry in 1 s$/);
      expect(mapped.metadata?.get('grpc-retry-pushback-ms')).toEqual(['1000']);
    }
  });

  it('hides anything else as INTERNAL', () => {
    expect(toGrpcStatus(new TypeError('x is undefined'))).toEqual({
      code: status.INTERNAL,
      details: 'internal error',
    });
  });
});
