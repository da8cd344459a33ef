import { HASH_SIZE, type MerkleHasher } from '@msi/merkle';
import { ByteReader, ByteWriter, EncodingError, readHeader, writeHeader } from '../encoding/index.js';
import { RoundError } from './round-error.js';
import { ROUND_HEADER, type RoundRecord, validateRound } from './round-record.js';

/** Size of every round record v1: 4 + 1 + 8 + 8 + 4 + 8 + 8 + 4 + 32 bytes. */
export const ROUND_RECORD_SIZE = 77;

/** The bytes of round record v1 (docs/PROOFS.md §6). Validates first (throws RoundError). */
export function encodeRound(round: RoundRecord): Uint8Array {
  validateRound(round);
  const w = new ByteWriter(ROUND_RECORD_SIZE);
  writeHeader(w, ROUND_HEADER);
  w.u64(round.round).time(round.closedAt).u32(round.intervalMs);
  w.u64(round.sealsStart).u64(round.sealsEnd).u32(round.sealCount).bytes(round.root, HASH_SIZE);
  return w.finish();
}

/**
 * Decodes round record v1 bytes. `bytes` is hostile input (from a receipt or the network); the
 * record is held to every rule of validateRound. Throws RoundError: ROUND_MALFORMED (with the field)
 * when the bytes do not parse, else the code of the broken rule.
 */
export function decodeRound(bytes: Uint8Array): RoundRecord {
  const round = readRound(bytes);
  validateRound(round);
  return round;
}

/**
 * Parses round record v1 bytes (hostile input) WITHOUT the rules of validateRound: for a calendar
 * follower, which judges those rules as violations of a round it still follows. Throws RoundError
 * ROUND_MALFORMED (with the field) when the bytes do not parse.
 */
export function readRound(bytes: Uint8Array): RoundRecord {
  try {
    const r = new ByteReader(bytes);
    readHeader(r, ROUND_HEADER);
    const round = {
      round: r.u64('round'),
      closedAt: r.time('closed_at'),
      intervalMs: r.u32('interval_ms'),
      sealsStart: r.u64('seals_start'),
      sealsEnd: r.u64('seals_end'),
      sealCount: r.u32('seal_count'),
      root: r.bytes('root', HASH_SIZE),
    };
    r.end();
    return round;
  } catch (error) {
    if (error instanceof EncodingError) {
      throw new RoundError('ROUND_MALFORMED', error.field, error.message, { cause: error });
    }
    throw error;
  }
}

/**
 * The round leaf hash `H(0x00 || round record bytes)`: leaf k of the calendar.
 * Precondition: `roundBytes` came from encodeRound or was accepted by decodeRound.
 */
export function roundLeafHash(hasher: MerkleHasher, roundBytes: Uint8Array): Uint8Array {
  return hasher.hashLeaf(roundBytes);
}
