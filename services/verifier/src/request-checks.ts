import { verifierV1 } from '@msi/proto';
import type { Way } from './lineage-walk.js';
import { VerifierError } from './verifier-error.js';

/**
 * What one public VerifyReceipt call may make the verifier do (services/verifier/README.md,
 * "Limits"). Checked before any key is parsed or anything hashed: the call is public and each
 * trusted key or hash is work (one call with 50,000 keys once held the CPU for 9 s).
 */
export const VERIFY_LIMITS = {
  /** trusted_keys: the calendar's key, and a few for a rotation. */
  trustedKeys: 16,
  /** witness_keys. */
  witnessKeys: 64,
  /** Characters of one key string (`<name>+<8 hex>+<base64 of 33 bytes>`). */
  keyChars: 512,
  /** Hashes of an inclusion proof: a tree of 2^64 leaves needs 64. */
  proofHashes: 64,
  /** Hashes of a consistency proof (at most 2 · 64). */
  consistencyHashes: 128,
  /** Bytes of the canonical event (the largest valid one is under 32 KiB). */
  eventBytes: 64 * 1024,
  /** Bytes of the seal and of the round record. */
  recordBytes: 1024,
  /** Characters of a checkpoint note (its text and at most 100 signature lines). */
  checkpointChars: 64 * 1024,
} as const;

/** The largest number a uint64/int64 request field may carry: sizes, rounds and times stay below it. */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A VerifyReceipt request within VERIFY_LIMITS, or VerifierError INVALID_ARGUMENT naming the field. */
export function checkVerifyRequest(request: verifierV1.VerifyReceiptRequest): void {
  const { receipt, trustedKeys, witnessKeys } = request;
  atMost('trusted_keys', trustedKeys.length, VERIFY_LIMITS.trustedKeys, 'keys');
  if (trustedKeys.length === 0) invalid('trusted_keys', 'at least one trusted log key is required');
  atMost('witness_keys', witnessKeys.length, VERIFY_LIMITS.witnessKeys, 'keys');
  for (const [field, keys] of [
    ['trusted_keys', trustedKeys],
    ['witness_keys', witnessKeys],
  ] as const) {
    for (const [i, key] of keys.entries())
      atMost(`${field}[${i}]`, key.length, VERIFY_LIMITS.keyChars, 'characters');
  }
  if (receipt === undefined) invalid('receipt', 'a receipt is required');
  atMost('receipt.event', receipt.event.length, VERIFY_LIMITS.eventBytes, 'bytes');
  atMost('receipt.seal', receipt.seal.length, VERIFY_LIMITS.recordBytes, 'bytes');
  atMost('receipt.round', receipt.round.length, VERIFY_LIMITS.recordBytes, 'bytes');
  atMost('receipt.checkpoint', receipt.checkpoint.length, VERIFY_LIMITS.checkpointChars, 'characters');
  for (const [name, proof] of [
    ['event_proof', receipt.eventProof],
    ['seal_proof', receipt.sealProof],
    ['round_proof', receipt.roundProof],
  ] as const) {
    atMost(`receipt.${name}.hashes`, proof?.hashes.length ?? 0, VERIFY_LIMITS.proofHashes, 'hashes');
    count(`receipt.${name}.leaf_index`, proof?.leafIndex ?? 0n);
    count(`receipt.${name}.tree_size`, proof?.treeSize ?? 0n);
  }
  const extension = receipt.extension;
  if (extension !== undefined) {
    atMost(
      'receipt.extension.consistency',
      extension.consistency.length,
      VERIFY_LIMITS.consistencyHashes,
      'hashes',
    );
    atMost(
      'receipt.extension.checkpoint',
      extension.checkpoint.length,
      VERIFY_LIMITS.checkpointChars,
      'characters',
    );
  }
}

/** A uint64 count, size or index that fits a safe integer, or VerifierError OUT_OF_RANGE naming it. */
export function count(field: string, value: bigint): number {
  if (value < 0n || value > MAX_SAFE) {
    throw new VerifierError('OUT_OF_RANGE', `${field}: ${value} is out of range (0 to 2^53 − 1)`);
  }
  return Number(value);
}

/** An int64 instant in µs since the epoch, 0 for "none": never negative, at most 2^53 − 1. */
export function instant(field: string, value: bigint): number {
  if (value < 0n || value > MAX_SAFE) {
    throw new VerifierError('OUT_OF_RANGE', `${field}: ${value} is not µs since the epoch (0 to 2^53 − 1)`);
  }
  return Number(value);
}

/** An event id as minted by clients: 16 bytes. */
export function eventIdField(field: string, value: Uint8Array): Uint8Array {
  if (value.length !== 16) invalid(field, `an event id is 16 bytes (a UUIDv7), not ${value.length}`);
  return value;
}

/** GetLineage's limits (services/verifier/README.md, "Limits"). */
export const LINEAGE_LIMITS = {
  /** max_depth when 0, and its largest value. */
  defaultDepth: 4,
  maxDepth: 16,
  /** max_links when 0, and its largest value. */
  defaultLinks: 1000,
  maxLinks: 5000,
} as const;

/** A limit field: 0 means `fallback`; above `max` is INVALID_ARGUMENT naming the field. */
export function limitField(field: string, value: number, max: number, fallback: number): number {
  atMost(field, value, max, '');
  return value === 0 ? fallback : value;
}

/** A text field of 1 to `maxBytes` bytes of UTF-8 (strict decoding already refused invalid UTF-8). */
export function textField(field: string, value: string, maxBytes: number): string {
  if (value === '') invalid(field, 'required');
  atMost(field, Buffer.byteLength(value, 'utf8'), maxBytes, 'bytes of UTF-8');
  return value;
}

/** from_us and to_us as a range: instants (0 = unbounded), to_us after from_us when both are set. */
export function timeRange(fromUs: bigint, toUs: bigint): { fromUs: number; toUs: number } {
  const range = { fromUs: instant('from_us', fromUs), toUs: instant('to_us', toUs) };
  if (range.fromUs !== 0 && range.toUs !== 0 && range.toUs <= range.fromUs)
    invalid('to_us', `${range.toUs} is not after from_us ${range.fromUs}`);
  return range;
}

/** The walks of a LineageDirection (UNSPECIFIED and BOTH: both), or INVALID_ARGUMENT for an unknown value. */
export function directionField(field: string, value: verifierV1.LineageDirection): readonly Way[] {
  const D = verifierV1.LineageDirection;
  switch (value) {
    case D.LINEAGE_DIRECTION_UPSTREAM:
      return ['up'];
    case D.LINEAGE_DIRECTION_DOWNSTREAM:
      return ['down'];
    case D.LINEAGE_DIRECTION_UNSPECIFIED:
    case D.LINEAGE_DIRECTION_BOTH:
      return ['down', 'up'];
    default:
      return invalid(field, `${String(value)} is not a LineageDirection (0-3)`);
  }
}

function atMost(field: string, value: number, limit: number, unit: string): void {
  if (value > limit) invalid(field, `at most ${limit}${unit === '' ? '' : ` ${unit}`} (got ${value})`);
}

function invalid(field: string, message: string): never {
  throw new VerifierError('INVALID_ARGUMENT', `${field}: ${message}`);
}
