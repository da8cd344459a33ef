import { ProofError, rootFromInclusionProof } from '@msi/merkle';
import type { DataEvent } from '../event/index.js';
import { NOTE_ALG_ED25519 } from '../note/index.js';
import type { ReceiptTrust } from '../receipt/index.js';
import { checkRecordProofs, type ReceiptCrypto, ReceiptError } from '../receipt/index.js';
import { type RoundRecord, roundLeafHash } from '../round/index.js';
import type { SealRecord } from '../seal/index.js';
import { readCoseReceipt } from './cose-receipt.js';
import { coseSigStructure } from './cose-tree-head.js';
import { ScittError, type ScittFailureCode } from './scitt-error.js';

/** What a valid COSE receipt proves: the event is in round k of the calendar of `size` and `root`. */
export interface VerifiedCoseReceipt {
  readonly event: DataEvent;
  readonly eventLeafHash: Uint8Array;
  readonly seal: SealRecord;
  readonly round: RoundRecord;
  readonly origin: string;
  readonly size: number;
  /** The calendar's root the inclusion proof leads to: the detached payload that was signed. */
  readonly root: Uint8Array;
  /** The trusted log key that signed (its name, the origin). */
  readonly logKey: string;
}

/**
 * Verifies a COSE receipt (docs/PROOFS.md §16, steps 1–6) against the caller's log keys (only
 * `trust.logKeys` is used: a COSE receipt carries no cosignature). Sizes and indices are checked
 * before anything is hashed, every proof before the signature. Throws ScittError naming the step.
 */
export function verifyCoseReceipt(
  bytes: Uint8Array,
  trust: Pick<ReceiptTrust, 'logKeys'>,
  crypto: ReceiptCrypto,
): VerifiedCoseReceipt {
  const { treeHead, inclusion, levels } = readCoseReceipt(bytes);
  const { event, eventLeafHash, seal, round } = receiptStep(() => checkRecordProofs(levels, crypto.hasher));

  if (inclusion.leafIndex !== round.round || inclusion.treeSize !== treeHead.size) {
    throw new ScittError(
      'ROUND_PROOF_INVALID',
      `the inclusion proof is of leaf ${inclusion.leafIndex} in ${inclusion.treeSize}, want round ${round.round} in the signed size ${treeHead.size}`,
    );
  }
  const root = proofStep(() =>
    rootFromInclusionProof(
      crypto.hasher,
      inclusion.leafIndex,
      inclusion.treeSize,
      roundLeafHash(crypto.hasher, levels.round),
      inclusion.hashes,
    ),
  );

  const key = trust.logKeys.find(
    (k) => k.algorithm === NOTE_ALG_ED25519 && k.name === treeHead.origin && k.keyId === treeHead.keyId,
  );
  if (key === undefined) {
    throw new ScittError('UNTRUSTED_KEY', `no trusted log key of ${treeHead.origin} has the receipt's kid`);
  }
  if (
    !crypto.ed25519.verify(
      key.publicKey,
      coseSigStructure(treeHead.protectedHeader, root),
      treeHead.signature,
    )
  ) {
    throw new ScittError('SIGNATURE_INVALID', `the COSE signature of ${treeHead.origin} does not verify`);
  }
  return {
    event,
    eventLeafHash,
    seal,
    round,
    origin: treeHead.origin,
    size: treeHead.size,
    root,
    logKey: key.name,
  };
}

/** Step 4: the receipt v1 checks of the levels, their codes kept. */
function receiptStep<T>(check: () => T): T {
  try {
    return check();
  } catch (error: unknown) {
    if (error instanceof ReceiptError) {
      throw new ScittError(error.code as ScittFailureCode, error.message, { cause: error });
    }
    throw error;
  }
}

/** Step 5: a proof of the wrong shape (index, size, number of hashes) is ROUND_PROOF_INVALID. */
function proofStep(prove: () => Uint8Array): Uint8Array {
  try {
    return prove();
  } catch (error: unknown) {
    if (error instanceof ProofError) {
      throw new ScittError('ROUND_PROOF_INVALID', `round in calendar: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
