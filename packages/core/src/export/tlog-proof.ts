import { HASH_SIZE } from '@msi/merkle';
import { parseCheckpointNote } from '../checkpoint/index.js';
import { CodedError } from '../error/index.js';
import { decodeBase64, encodeBase64 } from '../note/index.js';
import type { Receipt } from '../receipt/index.js';
import { readRound } from '../round/index.js';

/** The first line of a C2SP tlog-proof. */
export const TLOG_PROOF_V1 = 'c2sp.org/tlog-proof@v1';

/** A C2SP tlog-proof: an entry's index, its inclusion proof, the checkpoint, optional extra data. */
export interface TlogProof {
  /** Opaque, unauthenticated (for MSI: the round record, the entry itself). */
  readonly extra: Uint8Array | undefined;
  readonly index: number;
  readonly hashes: readonly Uint8Array[];
  /** The checkpoint note, verbatim. */
  readonly checkpoint: string;
}

export class TlogProofError extends CodedError<'TLOG_PROOF_MALFORMED'> {}

/**
 * The calendar's part of a receipt as a C2SP tlog-proof (docs/PROOFS.md §15): index k, the round's
 * inclusion proof in the receipt's checkpoint, that checkpoint with its cosignatures, and as `extra`
 * the round record, the entry whose leaf hash the proof starts from. The levels below the round
 * (event, seal) are not in it: the receipt v1 carries them.
 */
export function tlogProofOfReceipt(receipt: Receipt): TlogProof {
  const round = readRound(receipt.round);
  return {
    extra: receipt.round,
    index: round.round,
    hashes: receipt.roundProof.hashes,
    checkpoint: receipt.checkpoint,
  };
}

/** The text of a tlog-proof. */
export function formatTlogProof(proof: TlogProof): string {
  const lines = [TLOG_PROOF_V1];
  if (proof.extra !== undefined) lines.push(`extra ${encodeBase64(proof.extra)}`);
  lines.push(`index ${proof.index}`, ...proof.hashes.map(encodeBase64), '');
  return `${lines.join('\n')}\n${proof.checkpoint}`;
}

/**
 * Parses a tlog-proof (hostile input) strictly: the version line, an optional `extra` line of
 * canonical base64, `index` in decimal without leading zeros (≤ 2^53 − 1), hashes of 32 bytes in
 * canonical base64, one empty line, then a checkpoint note that parses (signatures not checked).
 * Throws TLOG_PROOF_MALFORMED naming the line.
 */
export function parseTlogProof(text: string): TlogProof {
  const split = text.indexOf('\n\n');
  if (split < 0) throw malformed('no empty line before the checkpoint');
  const lines = text.slice(0, split).split('\n');
  const checkpoint = text.slice(split + 2);
  if (lines[0] !== TLOG_PROOF_V1) throw malformed(`line 1 is not ${TLOG_PROOF_V1}`);
  let at = 1;
  let extra: Uint8Array | undefined;
  if (lines[at]?.startsWith('extra ')) {
    extra = decodeBase64(lines[at]?.slice(6) ?? '');
    if (extra === undefined) throw malformed(`line ${at + 1}: extra is not canonical base64`);
    at += 1;
  }
  const index = /^index (0|[1-9][0-9]*)$/.exec(lines[at] ?? '')?.[1];
  if (index === undefined || !Number.isSafeInteger(Number(index)))
    throw malformed(`line ${at + 1}: want index <N>`);
  const hashes = lines.slice(at + 1).map((line, i) => {
    const hash = decodeBase64(line);
    if (hash === undefined || hash.length !== HASH_SIZE) {
      throw malformed(`line ${at + 2 + i}: not the canonical base64 of a ${HASH_SIZE}-byte hash`);
    }
    return hash;
  });
  try {
    parseCheckpointNote(checkpoint);
  } catch (error: unknown) {
    throw malformed(`checkpoint: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { extra, index: Number(index), hashes, checkpoint };
}

function malformed(message: string): TlogProofError {
  return new TlogProofError('TLOG_PROOF_MALFORMED', `tlog-proof: ${message}`);
}
