import { decodeEvent, eventLeafHash } from '@msi/core';
import { HASH_SIZE, portableHasher } from '@msi/merkle';
import { streamV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { batchLeaves } from './batch-leaves.js';
import { canonicalEvents, eventBatch } from './test-events.test-helper.js';

const hasher = portableHasher();
const concat = (parts: readonly Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('batchLeaves', () => {
  it('hashes every event of a batch in batch order, with the largest received_at', () => {
    const events = canonicalEvents(5);
    const leaves = batchLeaves(hasher, eventBatch(3, events), 3);
    expect(leaves.count).toBe(5);
    expect(leaves.rejections).toEqual([]);
    expect(leaves.leafHashes).toEqual(concat(events.map((e) => eventLeafHash(hasher, e))));
    expect(leaves.maxReceivedAt).toBe(Math.max(...events.map((e) => decodeEvent(e).receivedAt)));
  });

  it('leaves out a malformed event and keeps the rest', () => {
    const [a, b] = canonicalEvents(2);
    if (a === undefined || b === undefined) throw new Error('two events');
    const broken = a.slice(0, a.length - 1);
    const leaves = batchLeaves(hasher, eventBatch(0, [a, broken, b]), 0);
    expect(leaves.count).toBe(2);
    expect(leaves.leafHashes.length).toBe(2 * HASH_SIZE);
    expect(leaves.leafHashes).toEqual(concat([eventLeafHash(hasher, a), eventLeafHash(hasher, b)]));
    expect(leaves.rejections).toMatchObject([{ code: 'EVENT_MALFORMED', index: 1 }]);
  });

  it.each([
    ['not protobuf', () => Uint8Array.of(0xff, 0xff, 0xff), 'BATCH_MALFORMED'],
    [
      'version 2',
      () => streamV1.EventBatch.encode({ version: 2, batchId: 'x', shard: 1, events: [] }).finish(),
      'BATCH_VERSION',
    ],
    ['another shard', () => eventBatch(2, canonicalEvents(1)), 'BATCH_SHARD'],
  ])('rejects a whole message that is %s', (_name, data, code) => {
    const leaves = batchLeaves(hasher, data(), 1);
    expect(leaves.count).toBe(0);
    expect(leaves.leafHashes.length).toBe(0);
    expect(leaves.rejections.map((r) => r.code)).toEqual([code]);
  });
});
