import {
  type DataEvent,
  formatImprint,
  formatUuid,
  portableEd25519,
  ReceiptError,
  type ReceiptFailureCode,
  type ReceiptTrust,
  ReceiptVerifier,
  type VerifiedAnyReceipt,
} from '@msi/core';
import { portableHasher } from '@msi/merkle';
import { memoisedHasher } from './memo-hasher.js';

/** The steps of a receipt's proof path, in order (docs/PROOFS.md §8), as the console draws them. */
export type ProofStep = 'file' | 'event' | 'seal' | 'round' | 'checkpoint' | 'witnesses';

export const PROOF_STEPS: readonly { readonly step: ProofStep; readonly label: string }[] = [
  { step: 'file', label: 'Receipt file' },
  { step: 'event', label: 'Event in seal' },
  { step: 'seal', label: 'Seal in round' },
  { step: 'round', label: 'Round in calendar' },
  { step: 'checkpoint', label: 'Checkpoint signature' },
  { step: 'witnesses', label: 'Witness cosignatures' },
];

/** Which step each failure code belongs to (receipt-error.ts names the step of each code). */
const STEP_OF: Readonly<Record<ReceiptFailureCode, ProofStep>> = {
  RECEIPT_MALFORMED: 'file',
  RECEIPT_NOT_CANONICAL: 'file',
  UNSUPPORTED_VERSION: 'file',
  EVENT_MALFORMED: 'event',
  LOCAL_PROOF_INVALID: 'event',
  ROOT_EVENT_INVALID: 'event',
  SEAL_MALFORMED: 'event',
  EVENT_PROOF_INVALID: 'event',
  ROUND_MALFORMED: 'seal',
  SEAL_PROOF_INVALID: 'seal',
  CHECKPOINT_MALFORMED: 'round',
  ROUND_PROOF_INVALID: 'round',
  UNTRUSTED_KEY: 'checkpoint',
  SIGNATURE_INVALID: 'checkpoint',
  EXTENSION_INVALID: 'checkpoint',
  CONSISTENCY_PROOF_INVALID: 'checkpoint',
  UNKNOWN_SIGNATURE: 'checkpoint',
  PUBLICATION_MISMATCH: 'checkpoint',
  COSIGNATURE_INVALID: 'witnesses',
  QUORUM_NOT_MET: 'witnesses',
};

export type StepStatus = 'valid' | 'invalid' | 'not-reached';

export interface StepResult {
  readonly step: ProofStep;
  readonly label: string;
  readonly status: StepStatus;
  /** What the step established (valid) or why it failed (invalid). */
  readonly detail: string;
  readonly code?: ReceiptFailureCode;
}

/** A receipt verified here, in the browser: the verdict, each step's result, and what it proves. */
export type ReceiptCheck =
  | { readonly ok: true; readonly steps: readonly StepResult[]; readonly verified: VerifiedAnyReceipt }
  | {
      readonly ok: false;
      readonly steps: readonly StepResult[];
      readonly code: ReceiptFailureCode;
      readonly message: string;
    };

/**
 * What a listing row needs of a receipt's check: the verdict and, when valid, the event and round it
 * proves. Small, so that workers send back little (verify-in-workers.ts); the proof path of one
 * receipt (ReceiptCheck) is made when it is opened.
 */
export type ReceiptVerdict =
  | { readonly ok: true; readonly version: 1; readonly event: DataEvent; readonly round: number }
  | { readonly ok: true; readonly version: 2 }
  | { readonly ok: false; readonly code: ReceiptFailureCode; readonly message: string };

/**
 * Verifies receipts in the page with the core's portable path (@noble hashes, strict cofactorless
 * Ed25519: what `msi verify` checks), against the auditor's pinned trust only. One instance per
 * trust: a checkpoint shared by many receipts has its signatures checked once, and a Merkle node or
 * a seal or round leaf shared by many receipts' proofs is hashed once (memo-hasher.ts).
 */
export class BrowserReceiptChecker {
  readonly #verifier: ReceiptVerifier;

  constructor(trust: ReceiptTrust) {
    // The portable hasher behind a memo: receipts of one seal or round share their proofs' nodes.
    this.#verifier = new ReceiptVerifier(trust, {
      hasher: memoisedHasher(portableHasher()),
      ed25519: portableEd25519(),
    });
  }

  /** Checks a receipt file: its text, or its bytes as read (then checked to be UTF-8 too). */
  check(receipt: string | Uint8Array): ReceiptCheck {
    const result = this.#verify(receipt);
    if ('code' in result) {
      return { ...result, steps: failedSteps(STEP_OF[result.code], result.code, result.message) };
    }
    return { ok: true, verified: result.verified, steps: validSteps(result.verified) };
  }

  /** The same verification as `check`, keeping only the verdict (no proof path drawn). */
  verdict(receipt: string | Uint8Array): ReceiptVerdict {
    const result = this.#verify(receipt);
    if ('code' in result) return result;
    const { verified } = result;
    return verified.version === 1
      ? { ok: true, version: 1, event: verified.event, round: verified.round.round }
      : { ok: true, version: 2 };
  }

  #verify(
    receipt: string | Uint8Array,
  ):
    | { readonly ok: true; readonly verified: VerifiedAnyReceipt }
    | { readonly ok: false; readonly code: ReceiptFailureCode; readonly message: string } {
    try {
      return { ok: true, verified: this.#verifier.verify(receipt) };
    } catch (error: unknown) {
      const code: ReceiptFailureCode = error instanceof ReceiptError ? error.code : 'RECEIPT_MALFORMED';
      return { ok: false, code, message: error instanceof Error ? error.message : String(error) };
    }
  }
}

/** The verdict of a check already made (its proof path dropped). */
export function verdictOf(check: ReceiptCheck): ReceiptVerdict {
  if (!check.ok) return { ok: false, code: check.code, message: check.message };
  const { verified } = check;
  return verified.version === 1
    ? { ok: true, version: 1, event: verified.event, round: verified.round.round }
    : { ok: true, version: 2 };
}

function failedSteps(failed: ProofStep, code: ReceiptFailureCode, message: string): StepResult[] {
  const at = PROOF_STEPS.findIndex((s) => s.step === failed);
  return PROOF_STEPS.map(({ step, label }, i) => {
    if (i < at) return { step, label, status: 'valid', detail: 'checked' };
    if (i === at) return { step, label, status: 'invalid', detail: message, code };
    return { step, label, status: 'not-reached', detail: 'not checked: an earlier step failed' };
  });
}

function validSteps(verified: VerifiedAnyReceipt): StepResult[] {
  const root = verified.version === 1 ? verified : verified.rootReceipt;
  const { seal, round, checkpoint } = root;
  const eventDetail =
    verified.version === 1
      ? `${verified.event.kind} ${formatUuid(verified.event.eventId)} of ${verified.event.tenant}, data ${formatImprint(verified.event.data)}`
      : `aggregated event, leaf ${verified.leafIndex} of ${verified.leafCount}, under root event ${formatUuid(root.event.eventId)}`;
  const witnesses =
    root.witnesses.length === 0
      ? 'no trusted witness cosignature required or present'
      : root.witnesses.map((w) => `${w.name} at ${new Date(w.time * 1000).toISOString()}`).join(', ');
  const details: Readonly<Record<ProofStep, string>> = {
    file: `receipt version ${verified.version}, canonical JSON`,
    event: eventDetail,
    seal: `seal ${seal.sealNumber} of shard ${seal.shard} (${seal.leafCount} events) in round ${round.round}`,
    round: `round ${round.round}, closed ${new Date(round.closedAt / 1000).toISOString()}, in calendar of size ${checkpoint.size}`,
    checkpoint: `${checkpoint.origin}@${checkpoint.size} signed by ${root.logKeys.join(', ')}${root.extendedTo === undefined ? '' : `, extended to size ${root.extendedTo.size}`}`,
    witnesses,
  };
  return PROOF_STEPS.map(({ step, label }) => ({ step, label, status: 'valid', detail: details[step] }));
}
