import { describe, expect, it } from 'vitest';
import { NoteError } from '../note/note-error.js';
import { CodedError } from './coded-error.js';

class SampleError extends CodedError<'A' | 'B'> {}

describe('CodedError', () => {
  it('carries the code, the message, the cause, and the subclass name', () => {
    const cause = new Error('socket closed');
    const error = new SampleError('B', 'it broke', { cause });
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toBeInstanceOf(Error);
    expect([error.code, error.message, error.cause, error.name]).toEqual([
      'B',
      'it broke',
      cause,
      'SampleError',
    ]);
  });

  it('is the base of the areas’ error classes', () => {
    const error = new NoteError('KEY_MALFORMED', 'bad key');
    expect(error).toBeInstanceOf(CodedError);
    expect(error.name).toBe('NoteError');
  });
});
