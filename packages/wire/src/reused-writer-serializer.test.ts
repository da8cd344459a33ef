import { verifierV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { reusedWriterSerializer } from './reused-writer-serializer.js';

const answer = (json: string) =>
  verifierV1.GetReceiptResponse.fromPartial({ receiptJson: json, receipt: { version: 1 } });

describe('reusedWriterSerializer', () => {
  it('writes each message as the generated encoder does, small after large and large after small', () => {
    const serialize = reusedWriterSerializer(verifierV1.GetReceiptResponse);
    for (const json of ['{}', 'x'.repeat(10_000), '{"a":1}', 'y'.repeat(300), '']) {
      const message = answer(json);
      const bytes = serialize(message);
      expect(Buffer.isBuffer(bytes)).toBe(true);
      expect(bytes.equals(Buffer.from(verifierV1.GetReceiptResponse.encode(message).finish()))).toBe(true);
    }
  });

  it('gives each call its own bytes (a later call does not change an earlier answer)', () => {
    const serialize = reusedWriterSerializer(verifierV1.GetReceiptResponse);
    const first = serialize(answer('first answer'));
    const copy = Buffer.from(first);
    serialize(answer('second, longer answer'));
    expect(first.equals(copy)).toBe(true);
  });

  it('starts over after a message whose encoding throws half-way', () => {
    const serialize = reusedWriterSerializer(verifierV1.GetReceiptResponse);
    serialize(answer('a good one first, so that the writer is kept'));
    const broken = answer('');
    Object.defineProperty(broken, 'receiptJson', {
      get: () => {
        throw new Error('unreadable field');
      },
    });
    expect(() => serialize(broken)).toThrow('unreadable field');
    const message = answer('after the failure');
    expect(
      serialize(message).equals(Buffer.from(verifierV1.GetReceiptResponse.encode(message).finish())),
    ).toBe(true);
  });
});
