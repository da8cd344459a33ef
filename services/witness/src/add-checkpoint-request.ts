import { decodeBase64 } from '@msi/core';
import { HASH_SIZE } from '@msi/merkle';
import { type AddCheckpointRequest, MAX_PROOF_LINES } from '@msi/witness-client';
import { WitnessError } from './witness-error.js';

/** The largest request body the witness reads: a checkpoint with 100 signatures fits easily. */
export const MAX_REQUEST_BYTES = 64 * 1024;

const OLD_LINE = /^old (0|[1-9][0-9]*)$/;

/**
 * Parses an add-checkpoint body strictly. `body` is hostile input. Throws `REQUEST_MALFORMED` unless
 * it is valid UTF-8: `old <decimal without leading zeros, ≤ 2^53 − 1>\n`, at most 63 lines each the
 * canonical base64 of 32 bytes, an empty line, then a non-empty checkpoint (checked later by core).
 * The inverse of @msi/witness-client formatAddCheckpointRequest.
 */
export function parseAddCheckpointRequest(body: Uint8Array): AddCheckpointRequest {
  if (body.length > MAX_REQUEST_BYTES) malformed(`body has more than ${MAX_REQUEST_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return malformed('body is not UTF-8');
  }
  const end = text.indexOf('\n\n');
  if (end < 0) malformed('no empty line ends the old size and the proof');
  const [oldLine = '', ...proofLines] = text.slice(0, end).split('\n');
  const old = OLD_LINE.exec(oldLine);
  if (!old) malformed('first line is not "old <size>"');
  const oldSize = Number(old[1]);
  if (!Number.isSafeInteger(oldSize)) malformed('old size is above 2^53 - 1');
  if (proofLines.length > MAX_PROOF_LINES) malformed(`more than ${MAX_PROOF_LINES} proof lines`);
  const proof = proofLines.map((line, i) => {
    const hash = decodeBase64(line);
    if (hash?.length !== HASH_SIZE) malformed(`proof line ${i + 1} is not the base64 of 32 bytes`);
    return hash;
  });
  const checkpoint = text.slice(end + 2);
  if (checkpoint.length === 0) malformed('no checkpoint after the empty line');
  return { oldSize, proof, checkpoint };
}

function malformed(message: string): never {
  throw new WitnessError('REQUEST_MALFORMED', `add-checkpoint request: ${message}`);
}
