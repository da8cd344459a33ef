import { decodeSeal, type RoundSeal, SealError } from '@msi/core';
import { shardOfSubject } from '@msi/nats';
import { streamV1 } from '@msi/proto';
import type { MsgHdrs } from '@nats-io/transport-node';

/** A message of the seal stream `<P>_SEALS`, as read back by stream sequence. */
export interface SealMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  /** Its headers (trace context), beside the payload. */
  readonly headers?: MsgHdrs;
}

/** Why a message of the seal range does not become a leaf of the round. */
export type SkipReason =
  | 'MALFORMED_MESSAGE'
  | 'UNSUPPORTED_VERSION'
  | 'MALFORMED_SEAL'
  | 'SHARD_MISMATCH'
  | 'DUPLICATE'
  | 'ALREADY_ANCHORED';

export interface SkippedSeal {
  readonly seq: number;
  readonly reason: SkipReason;
  readonly detail: string;
}

/** The seals a round covers (in stream order, each (shard, seal_number) once) and what was left out. */
export interface SealSelection {
  readonly seals: readonly RoundSeal[];
  readonly skipped: readonly SkippedSeal[];
}

/** The key of a (shard, seal_number) pair in sets of anchored seals. */
export function sealKey(shard: number, sealNumber: number): string {
  return `${shard}/${sealNumber}`;
}

/**
 * Decodes one ShardSealed message: `message.data` is hostile input (anything published on the seal
 * subjects). Returns the seal, or why it is skipped: an undecodable protobuf, a version other than 1,
 * seal bytes that are not a valid seal record v1, or a record whose shard is not the subject's.
 */
export function decodeSealMessage(message: SealMessage): RoundSeal | SkippedSeal {
  const skip = (reason: SkipReason, detail: string): SkippedSeal => ({ seq: message.seq, reason, detail });
  let sealed: streamV1.ShardSealed;
  try {
    sealed = streamV1.ShardSealed.decode(message.data);
  } catch (error: unknown) {
    return skip('MALFORMED_MESSAGE', `not a ShardSealed: ${String(error)}`);
  }
  if (sealed.version !== 1) return skip('UNSUPPORTED_VERSION', `ShardSealed version ${sealed.version}`);
  const bytes = new Uint8Array(sealed.seal);
  let record: RoundSeal['record'];
  try {
    record = decodeSeal(bytes);
  } catch (error: unknown) {
    if (error instanceof SealError) return skip('MALFORMED_SEAL', `${error.code}: ${error.message}`);
    throw error;
  }
  let subjectShard: number | undefined;
  try {
    subjectShard = shardOfSubject(message.subject);
  } catch {
    subjectShard = undefined;
  }
  if (subjectShard !== record.shard) {
    return skip('SHARD_MISMATCH', `seal of shard ${record.shard} published on ${message.subject}`);
  }
  return { record, bytes };
}

/**
 * Selects the seals a round covers from the messages of its seal-stream range (any order; they are
 * taken in stream order): each decodable seal whose (shard, seal_number) is neither in `anchored`
 * (covered by an earlier round) nor already taken from an earlier message of the range. A redelivered
 * or republished seal thus counts once, the first time it was published. Pure.
 */
export function selectSeals(messages: readonly SealMessage[], anchored: ReadonlySet<string>): SealSelection {
  const seals: RoundSeal[] = [];
  const skipped: SkippedSeal[] = [];
  const taken = new Set<string>();
  for (const message of [...messages].sort((a, b) => a.seq - b.seq)) {
    const decoded = decodeSealMessage(message);
    if ('reason' in decoded) {
      skipped.push(decoded);
      continue;
    }
    const { shard, sealNumber } = decoded.record;
    const key = sealKey(shard, sealNumber);
    if (anchored.has(key)) {
      skipped.push({
        seq: message.seq,
        reason: 'ALREADY_ANCHORED',
        detail: `shard ${shard} seal ${sealNumber}`,
      });
    } else if (taken.has(key)) {
      skipped.push({ seq: message.seq, reason: 'DUPLICATE', detail: `shard ${shard} seal ${sealNumber}` });
    } else {
      taken.add(key);
      seals.push(decoded);
    }
  }
  return { seals, skipped };
}

/** The (shard, seal_number) pairs of the decodable seals among `messages`, to look up as anchored. */
export function sealPairs(messages: readonly SealMessage[]): { shard: number; sealNumber: number }[] {
  const pairs: { shard: number; sealNumber: number }[] = [];
  for (const message of messages) {
    const decoded = decodeSealMessage(message);
    if (!('reason' in decoded))
      pairs.push({ shard: decoded.record.shard, sealNumber: decoded.record.sealNumber });
  }
  return pairs;
}
