import { TraceLinks } from '@msi/service-kit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type SealedBatch, ShardBatcher } from './shard-batcher.js';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

function harness(options: { maxEvents?: number; maxBytes?: number; lingerMs?: number; fail?: boolean } = {}) {
  const published: SealedBatch[] = [];
  let counter = 0;
  const batcher = new ShardBatcher({
    shard: 2,
    maxEvents: options.maxEvents ?? 100,
    maxBytes: options.maxBytes ?? 1_000_000,
    lingerMs: options.lingerMs ?? 5,
    claimWindowMs: 10_000,
    nextBatchId: () => `ingest-test-${++counter}`,
    publish: async (batch) => {
      published.push(batch);
      if (options.fail) throw new Error('no ack');
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
  it('publishes after the linger, with the confirmed events in slot order', async () => {
    const { batcher, published } = harness();
    const slots = [bytes(3, 1), bytes(3, 2), bytes(3, 3)].map((event) => batcher.add(event));
    for (const slot of slots) slot.confirm();
    expect(published).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(5);
    expect(published).toEqual([
      {
        batchId: 'ingest-test-1',
        shard: 2,
        events: [bytes(3, 1), bytes(3, 2), bytes(3, 3)],
        deadlineMs: 1_010_000,
        contributors: expect.any(TraceLinks), // tracing off: no span to remember
      },
    ]);
    expect(published[0]?.contributors?.size).toBe(0);
    expect(await slots[0]?.published).toEqual({ ok: true });
    expect(slots.every((slot) => slot.batchId === 'ingest-test-1' && slot.deadlineMs === 1_010_000)).toBe(
      true,
    );
  });

  it('waits for every slot to be confirmed or withdrawn, and leaves withdrawn ones out', async () => {
    const { batcher, published } = harness();
    const [a, b, c] = [batcher.add(bytes(1, 1)), batcher.add(bytes(1, 2)), batcher.add(bytes(1, 3))];
    a.confirm();
    c.confirm();
    await vi.advanceTimersByTimeAsync(50);
    expect(published).toHaveLength(0); // b's claim is still open
    b.withdraw();
    b.confirm(); // a slot resolves once
    await vi.advanceTimersByTimeAsync(0);
    expect(published[0]?.events).toEqual([bytes(1, 1), bytes(1, 3)]);
  });

  it('seals at the event or byte limit and opens the next batch', async () => {
    const { batcher, published } = harness({ maxEvents: 2, maxBytes: 10 });
    const slots = [
      batcher.add(bytes(1)),
      batcher.add(bytes(1)),
      batcher.add(bytes(6)),
      batcher.add(bytes(6)),
    ];
    expect(slots.map((slot) => slot.batchId)).toEqual([
      'ingest-test-1',
      'ingest-test-1',
      'ingest-test-2',
      'ingest-test-2',
    ]);
    for (const slot of slots) slot.confirm();
    await vi.advanceTimersByTimeAsync(0);
    expect(published.map((batch) => batch.events.length)).toEqual([2, 2]);
  });

  it('seals early for a request that brought many events', async () => {
    const { batcher, published } = harness({ lingerMs: 1000 });
    const slots = Array.from({ length: 8 }, () => batcher.add(bytes(2)));
    batcher.sealIfAtLeast(10);
    batcher.sealIfAtLeast(8);
    for (const slot of slots) slot.confirm();
    await vi.advanceTimersByTimeAsync(0);
    expect(published).toHaveLength(1);
  });

  it('publishes nothing for a batch whose slots were all withdrawn', async () => {
    const { batcher, published } = harness();
    const slot = batcher.add(bytes(2));
    slot.withdraw();
    batcher.flush();
    await vi.advanceTimersByTimeAsync(10);
    expect(published).toHaveLength(0);
    expect(await slot.published).toEqual({ ok: true });
  });

  it('reports a failed publish to every slot of the batch', async () => {
    const { batcher } = harness({ fail: true });
    const slots = [batcher.add(bytes(2)), batcher.add(bytes(2))];
    for (const slot of slots) slot.confirm();
    await vi.advanceTimersByTimeAsync(5);
    for (const slot of slots) expect((await slot.published).ok).toBe(false);
  });
});
