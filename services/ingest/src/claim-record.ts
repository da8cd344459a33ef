import { HASH_SIZE } from '@msi/merkle';
import { streamV1 } from '@msi/proto';

/**
 * The idempotency record of one event id (KV `<P>_IDS`, key `<tenant>.<event id hex>`), in domain
 * form. Written by KV create when a submission claims the id, so exactly one submission anywhere
 * owns it; it holds the original ack and the canonical bytes, so a resubmission gets the original
 * ack and, if the owner died before publishing, can publish exactly the same event.
 */
export interface ClaimRecord {
  readonly leafHash: Uint8Array;
  readonly shard: number;
  readonly expectedRound: number;
  /** The batch (JetStream msgID) that carries the event, if it was published. */
  readonly batchId: string;
  readonly receivedAtUs: number;
  /** The owner publishes batch `batchId` only before this instant (ms since the epoch, its clock). */
  readonly claimUntilMs: number;
  /** Canonical event v1 bytes. */
  readonly event: Uint8Array;
}

export class ClaimRecordError extends Error {
  override readonly name = 'ClaimRecordError';
}

/**
 * The KV value of a record: streamV1.IdempotencyRecord, version 1, in protobuf wire format. Written
 * by hand because it is on the hot path (one per event; ts-proto's writer, with its bigint int64
 * fields, costs ~6 µs here, this ~0.5 µs); claim-record.test.ts checks it byte for byte against
 * streamV1.IdempotencyRecord.encode. Preconditions: numbers are non-negative safe integers, shard a u32.
 */
export function encodeClaimRecord(record: ClaimRecord): Uint8Array {
  const batchId = Buffer.from(record.batchId, 'utf8');
  const out = Buffer.allocUnsafe(64 + record.leafHash.length + batchId.length + record.event.length);
  let at = 0;
  const varint = (value: number) => {
    let v = value;
    while (v >= 0x80) {
      out[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    out[at++] = v;
  };
  const bytes = (tag: number, value: Uint8Array) => {
    if (value.length === 0) return;
    out[at++] = tag;
    varint(value.length);
    out.set(value, at);
    at += value.length;
  };
  const number = (tag: number, value: number) => {
    if (value === 0) return;
    out[at++] = tag;
    varint(value);
  };
  number(0x08, 1); // version
  bytes(0x12, record.leafHash);
  number(0x18, record.shard);
  number(0x20, record.expectedRound);
  bytes(0x2a, batchId);
  number(0x30, record.receivedAtUs);
  number(0x38, record.claimUntilMs);
  bytes(0x42, record.event);
  return out.subarray(0, at);
}

/** Decodes a KV value (written by some ingest, possibly another version): checks what we rely on. */
export function decodeClaimRecord(bytes: Uint8Array): ClaimRecord {
  let message: streamV1.IdempotencyRecord;
  try {
    message = streamV1.IdempotencyRecord.decode(bytes);
  } catch (error: unknown) {
    throw new ClaimRecordError('idempotency record does not parse', { cause: error });
  }
  if (message.version !== 1)
    throw new ClaimRecordError(`idempotency record version ${message.version}, want 1`);
  if (message.leafHash.length !== HASH_SIZE)
    throw new ClaimRecordError('idempotency record leaf hash is not 32 bytes');
  if (message.batchId === '' || message.event.length === 0) {
    throw new ClaimRecordError('idempotency record without batch id or event');
  }
  return {
    leafHash: message.leafHash,
    shard: message.shard,
    expectedRound: safe(message.expectedRound, 'expected_round'),
    batchId: message.batchId,
    receivedAtUs: safe(message.receivedAtUs, 'received_at_us'),
    claimUntilMs: safe(message.claimUntilMs, 'claim_until_ms'),
    event: message.event,
  };
}

/** A Buffer view of the same bytes (no copy): ts-proto types bytes fields as Buffer. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function safe(value: bigint, field: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ClaimRecordError(`idempotency record ${field} out of range`);
  }
  return Number(value);
}
