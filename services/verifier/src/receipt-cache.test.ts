import { describe, expect, it } from 'vitest';
import { ReceiptCache } from './receipt-store.js';

const id = (n: number) => new Uint8Array(16).fill(n);

/** Three sealed rows whose canonical bytes are views of one block, as the projection hands them over. */
function sealedRows(block: Buffer) {
  return [0, 1, 2].map((i) => ({
    eventId: id(i),
    row: {
      streamSeq: 7,
      position: i,
      tenant: 'acme',
      canonical: block.subarray(i * 100, i * 100 + 100),
      sealSeq: 3,
      leafIndex: i,
    },
  }));
}

describe('ReceiptCache hot index', () => {
  it('gives a row asked for its own copy of the bytes, so it does not keep the whole block', () => {
    const block = Buffer.alloc(300);
    for (let i = 0; i < 300; i++) block[i] = i % 251;
    const cache = new ReceiptCache();
    cache.rememberSealed(sealedRows(block));
    const first = cache.event(id(1), 'acme');
    expect(first?.canonical.buffer.byteLength).toBe(100);
    expect(Buffer.from(first?.canonical ?? []).equals(block.subarray(100, 200))).toBe(true);
    const copy = Buffer.from(block.subarray(100, 200));
    block.fill(0);
    expect(Buffer.from(first?.canonical ?? []).equals(copy)).toBe(true);
    expect(cache.event(id(1), 'acme')).toBe(first); // copied once
    expect({ ...first, canonical: undefined }).toEqual({
      streamSeq: 7,
      position: 1,
      tenant: 'acme',
      canonical: undefined,
      sealSeq: 3,
      leafIndex: 1,
    });
    expect(cache.event(id(1), 'other')).toBeUndefined();
  });
});
