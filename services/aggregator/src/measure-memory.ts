/**
 * Measures what an open seal costs per leaf (not a test: prints figures, asserts nothing).
 *
 *   npx tsc -b services/aggregator && node --expose-gc services/aggregator/dist/measure-memory.js [leaves]
 *
 * Feeds `leaves` events (default 1,000,000), as EventBatch messages of 256, through the worker's
 * path (batchLeaves → LeafBuffer), then seals them with sealShard, and prints the heap + array-buffer
 * bytes per leaf after a full GC: while the seal is open, and at the moment it is sealed (when the
 * Merkle tree's levels exist too). For comparison, it also prints what one Uint8Array per hash costs.
 */
import { randomBytes } from 'node:crypto';
import { encodeEvent, imprintOf, mintUuidV7, sealShard } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { HASH_SIZE } from '@msi/merkle';
import { streamV1 } from '@msi/proto';
import { batchLeaves } from './batch-leaves.js';
import { LeafBuffer } from './leaf-buffer.js';

const BATCH = 256;
const leaves = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const collect = gc;

function used(): number {
  collect();
  collect();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function batchMessage(): Uint8Array {
  const now = Date.now();
  const events = Array.from({ length: BATCH }, (_, i) =>
    encodeEvent({
      tenant: 'acme',
      eventId: mintUuidV7(now, randomBytes(16)),
      kind: 'STORE',
      data: imprintOf('sha256', randomBytes(32)),
      inputs: [],
      outputs: [],
      toTenant: '',
      actor: 'alice',
      submitter: 'svc-etl',
      source: { system: 's3', region: 'eu-west-1', host: 'bucket-1' },
      destination: { system: '', region: '', host: '' },
      occurredAt: now * 1000,
      receivedAt: now * 1000 + i,
      parents: [],
      attributes: [{ key: 'job', value: 'etl-1' }],
      nonce: randomBytes(16),
    }),
  );
  return streamV1.EventBatch.encode({
    version: 1,
    batchId: 'm-1',
    shard: 0,
    events: events.map((e) => Buffer.from(e)),
  }).finish();
}

const hasher = nodeHasher();
const message = batchMessage();
const perLeaf = (bytes: number): string => (bytes / leaves).toFixed(1);

const baseline = used();
const buffer = new LeafBuffer();
let maxReceivedAt = 0;
for (let taken = 0; taken < leaves; taken += BATCH) {
  const batch = batchLeaves(hasher, message, 0);
  const wanted = Math.min(BATCH, leaves - taken);
  buffer.append(batch.leafHashes.subarray(0, wanted * HASH_SIZE));
  maxReceivedAt = Math.max(maxReceivedAt, batch.maxReceivedAt);
}
const open = used() - baseline;
const capacity = buffer.capacityBytes;
buffer.compact(); // as the worker does before sealing
const sealed = sealShard(hasher, {
  shard: 0,
  sealNumber: 0,
  streamStart: 1,
  streamEnd: 1 + Math.ceil(leaves / BATCH),
  leafHashes: buffer.view(),
  maxReceivedAt,
});
const atSeal = used() - baseline;
const root = Buffer.from(sealed.record.root).toString('hex').slice(0, 16);

// For comparison: the same hashes as one Uint8Array each.
const separate: Uint8Array[] = [];
const view = buffer.view();
for (let i = 0; i < leaves; i++) separate.push(view.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE));
const withSeparate = used() - baseline - atSeal;

process.stdout.write(
  `${JSON.stringify({
    leaves,
    hasher: hasher.name,
    openSealBytesPerLeaf: perLeaf(open),
    leafBufferCapacityBytesPerLeaf: perLeaf(capacity),
    atSealBytesPerLeaf: perLeaf(atSeal),
    oneUint8ArrayPerHashBytesPerLeaf: perLeaf(withSeparate),
    root,
    kept: separate.length + sealed.tree.size,
  })}\n`,
);
