import { encodeBase64 } from '@msi/core';

/** An add-checkpoint request of C2SP tlog-witness: old size, consistency proof, checkpoint note. */
export interface AddCheckpointRequest {
  /** The size of the checkpoint the client believes the witness last cosigned (0 at first sight). */
  readonly oldSize: number;
  /** The RFC 6962 consistency proof from oldSize to the checkpoint's size: 32-byte hashes. */
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note, not yet parsed. */
  readonly checkpoint: string;
}

/** A client MUST NOT send more than 63 proof lines (C2SP tlog-witness). */
export const MAX_PROOF_LINES = 63;

/**
 * The body of an add-checkpoint request: `old <size>\n`, one base64 proof hash a line, an empty
 * line, the checkpoint (the witness parses it back with parseAddCheckpointRequest).
 */
export function formatAddCheckpointRequest(request: AddCheckpointRequest): string {
  const proof = request.proof.map((hash) => `${encodeBase64(hash)}\n`).join('');
  return `old ${request.oldSize}\n${proof}\n${request.checkpoint}`;
}
