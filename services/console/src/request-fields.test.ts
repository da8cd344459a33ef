import { describe, expect, it } from 'vitest';
import { ConsoleError } from './console-error.js';
import { asObject, imprintField, optionalChoice, optionalCount, uuidField } from './request-fields.js';

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof ConsoleError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('no refusal');
}

describe('request fields', () => {
  it('reads an imprint text as imprint bytes (algorithm id, digest)', () => {
    const bytes = imprintField({ data: `sha256:${'ab'.repeat(32)}` }, 'data');
    expect(bytes.length).toBe(33);
    expect(bytes.subarray(1).toString('hex')).toBe('ab'.repeat(32));
  });

  it('names the field of a bad imprint, id, count or choice', () => {
    expect(refusal(() => imprintField({ data: 'sha256:zz' }, 'data'))).toEqual({
      code: 'FIELD_INVALID',
      message: 'data must be an imprint such as sha256:<64 hex digits>',
    });
    expect(refusal(() => uuidField({ eventId: 42 }, 'eventId')).message).toMatch(/^eventId must be/);
    expect(refusal(() => optionalCount({ pageSize: 1001 }, 'pageSize', 1000)).message).toBe(
      'pageSize must be an integer 0–1000',
    );
    expect(
      refusal(() => optionalChoice({ status: 'closed' }, 'status', ['open', 'acknowledged'])).message,
    ).toBe('status must be one of open, acknowledged');
  });

  it('refuses a body that is not an object', () => {
    for (const body of [null, [], 'text', 3]) {
      expect(refusal(() => asObject(body)).code).toBe('BODY_NOT_JSON');
    }
  });

  it('reads a UUID text as its 16 bytes', () => {
    const id = '0190f5e2-7b1c-7d3e-8f00-0123456789ab';
    expect(uuidField({ eventId: id }, 'eventId').toString('hex')).toBe(id.replaceAll('-', ''));
  });
});
