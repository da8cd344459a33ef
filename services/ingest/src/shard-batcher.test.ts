import { TraceLinks } from '@msi/service-kit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type SealedBatch, ShardBatcher } from './shard-batcher.js';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

function harness(options: { maxItems?: number; maxBytes?: number; lingerMs?: number } = {}) {
  const published: SealedBatch<Uint8Array>[] = [];
  let counter = 0;
  const batcher = new ShardBatcher<Uint8Array, string>({
    shard: 2,
    maxItems: options.maxItems ?? 100,
    maxBytes: options.maxBytes ?? 1_000_000,
    lingerMs: options.lingerMs ?? 5,
    claimWindowMs: 10_000,
    bytesOf: (item) => item.length,
    nextBatchId: () => `ingest-test-${++counter}`,
    publish: async (batch) => {
      published.push(batch);
      return `outcome of ${batch.batchId}`;
    },
    nowMs: () => 1_000_000,
  });
  return { batcher, published };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ShardBatcher', () => {
  it('publishes after the linger, with the items in order, and gives every slot the outcome', async () => {
    const { batcher, published } = harness();
    const slots = [bytes(3, 1), bytes(3, 2), bytes(3, 3)].map((item) => batcher.add(item));
    expect(published).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(5);
    expect(published).toEqual([
      {
        batchId: 'ingest-test-1',
        shard: 2,
        items: [bytes(3, 1), bytes(3, 2), bytes(3, 3)],
        deadlineMs: 1_010_000,
        contributors: expect.any(TraceLinks), // tracing off: no span to remember
      },
    ]);
    expect(published[0]?.contributors?.size).toBe(0);
    expect(slots.map((slot) => slot.index)).toEqual([0, 1, 2]);
    for (const slot of slots) expect(await slot.outcome).toBe('outcome of ingest-test-1');
  });

  it('seals at the item or byte limit and opens the next batch', async () => {
    const { batcher, published } = harness({ maxItems: 2, maxBytes: 10 });
    const slots = [
      batcher.add(bytes(1)),
      batcher.add(bytes(1)),
      batcher.add(bytes(6)),
      batcher.add(bytes(6)),
    ];
    expect(slots.map((slot) => `${slot.batchId}#${slot.index}`)).toEqual([
      'ingest-test-1#0',
      'ingest-test-1#1',
      'ingest-test-2#0',
      'ingest-test-2#1',
    ]);
    await vi.advanceTimersByTimeAsync(0);
    expect(published.map((batch) => batch.items.length)).toEqual([2, 2]);
  });

  it('seals early for a request that brought many items', async () => {
    const { batcher, published } = harness({ lingerMs: 1000 });
    for (let i = 0; i < 8; i++) batcher.add(bytes(2));
    batcher.sealIfAtLeast(10);
    expect(published).toHaveLength(0);
    batcher.sealIfAtLeast(8);
    await vi.advanceTimersByTimeAsync(0);
    expect(published).toHaveLength(1);
  });

  it('flush seals the open batch whatever it holds', async () => {
    const { batcher, published } = harness({ lingerMs: 1000 });
    batcher.add(bytes(2));
    batcher.flush();
    batcher.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(published.map((batch) => batch.items.length)).toEqual([1]);
  });
});
