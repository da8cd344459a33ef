import { type MerkleHasher, type MerkleTree, ProofError, verifyInclusion } from '@msi/merkle';
import {
  type Checkpoint,
  CheckpointError,
  type Cosignature,
  type OpenedCheckpoint,
  openCheckpoint,
  parseCheckpointNote,
  verifyCosignatures,
} from '../checkpoint/index.js';
import { bytesEqual } from '../encoding/index.js';
import { type DataEvent, decodeEvent, eventLeafHash } from '../event/index.js';
import {
  type Ed25519Verifier,
  NOTE_ALG_COSIGNATURE_V1,
  NOTE_ALG_ED25519,
  type NoteVerifierKey,
} from '../note/index.js';
import { decodeRound, type RoundRecord, roundLeafHash } from '../round/index.js';
import { decodeSeal, type SealRecord, sealLeafHash } from '../seal/index.js';
import type { CheckedAnchors } from './checked-anchors.js';
import { proveExtension, receiptCodeOf } from './prove-extension.js';
import type { Receipt, ReceiptProof } from './receipt.js';
import { ReceiptError, type ReceiptFailureCode } from './receipt-error.js';
import { parseReceiptJson } from './receipt-json.js';

/** What the verifier trusts: keys come only from here, never from the receipt (docs/PROOFS.md §8). */
export interface ReceiptTrust {
  /** Ed25519 (0x01) log keys; the checkpoint's origin must be one of their names. */
  readonly logKeys: readonly NoteVerifierKey[];
  /** Witness (0x04) keys. */
  readonly witnessKeys?: readonly NoteVerifierKey[];
  /** How many distinct trusted witnesses must have cosigned (default 0). */
  readonly quorum?: number;
  /**
   * Reject signature lines of keys not trusted here (UNKNOWN_SIGNATURE) instead of reporting them in
   * `unverifiedSignatures`. With every carried key trusted, strict mode checks every byte.
   */
  readonly strict?: boolean;
}

/** The hashing and signature implementations (ports): portable defaults or fast Node adapters. */
export interface ReceiptCrypto {
  readonly hasher: MerkleHasher;
  readonly ed25519: Ed25519Verifier;
}

/** A witness's statement: it saw a log state containing the round by `time` (seconds since the epoch). */
export interface WitnessStatement {
  readonly name: string;
  readonly keyId: number;
  readonly time: number;
}

/** What a valid receipt proves. */
export interface VerifiedReceipt {
  readonly event: DataEvent;
  readonly eventLeafHash: Uint8Array;
  readonly seal: SealRecord;
  readonly round: RoundRecord;
  readonly checkpoint: Checkpoint;
  /** Trusted log keys whose signatures verified (on the checkpoint, and on the extension if any). */
  readonly logKeys: readonly string[];
  /** Trusted witnesses that cosigned the checkpoint or its extension, each with its earliest time. */
  readonly witnesses: readonly WitnessStatement[];
  /** The later checkpoint the receipt was extended to and proven consistent with, if any. */
  readonly extendedTo?: Checkpoint;
  /** Signature lines of keys the caller did not trust: carried for others, not checked. */
  readonly unverifiedSignatures: readonly { readonly name: string; readonly keyId: number }[];
}

/** What steps 2–5 establish, before any signature is checked. */
export interface CheckedProofs {
  readonly event: DataEvent;
  readonly eventLeafHash: Uint8Array;
  readonly seal: SealRecord;
  readonly round: RoundRecord;
  /** The checkpoint as written in the receipt: its signatures are NOT checked yet. */
  readonly checkpoint: Checkpoint;
}

/**
 * Steps 2–5 of receipt verification (docs/PROOFS.md §8): decodes the records and checks the three
 * inclusion proofs up to the checkpoint's root, without checking any signature. Throws ReceiptError.
 * On its own this proves nothing to someone who does not trust the checkpoint; verifyReceipt goes on.
 * With `anchors`, steps 3b–5 (seal in round, round in checkpoint) are checked once per exact seal,
 * round, proofs and checkpoint text (CheckedAnchors); the result is the same as without.
 *
 * With `sealTree` — a whole tree the caller holds for the receipt's seal (a server that assembled the
 * event proof from it) — step 3a checks the event against that tree instead of hashing up the proof:
 * the tree must have the seal's leaf_count and root, the event's leaf hash must be the tree's leaf at
 * the proof's index and the proof's hashes the tree's inclusion proof of that leaf (RFC 9162 §2.1.3.1,
 * as MerkleTree gives it). Such a proof verifies against the seal's root (the tree's proofs do), so
 * the result is the same as without, for a leaf hash and a few comparisons instead of a hash per level.
 */
export function checkReceiptProofs(
  receipt: Receipt,
  hasher: MerkleHasher,
  anchors?: CheckedAnchors,
  sealTree?: MerkleTree,
): CheckedProofs {
  const known = anchors?.lookup(receipt);
  if (known !== undefined) {
    // The same seal, proofs, round and checkpoint passed steps 3b–5 before: only the event's step is new.
    const { event, eventLeafHash: leaf } = checkEventInSeal(receipt, hasher, () => known.seal, sealTree);
    return { event, eventLeafHash: leaf, seal: known.seal, round: known.round, checkpoint: known.checkpoint };
  }
  const checked = checkReceiptProofsOnce(receipt, hasher, sealTree);
  anchors?.remember(receipt, { seal: checked.seal, round: checked.round, checkpoint: checked.checkpoint });
  return checked;
}

function checkReceiptProofsOnce(
  receipt: Receipt,
  hasher: MerkleHasher,
  sealTree?: MerkleTree,
): CheckedProofs {
  const { event, eventLeafHash: leaf, seal, round } = checkRecordProofs(receipt, hasher, sealTree);
  const { checkpoint } = checkpointStep(() => parseCheckpointNote(receipt.checkpoint));
  if (receipt.roundProof.leafIndex !== round.round) {
    fail(
      'ROUND_PROOF_INVALID',
      `roundProof.leafIndex ${receipt.roundProof.leafIndex} is not round ${round.round}`,
    );
  }
  expectSize('ROUND_PROOF_INVALID', receipt.roundProof, checkpoint.size, 'the checkpoint size');
  proveInclusion(
    'ROUND_PROOF_INVALID',
    hasher,
    receipt.roundProof,
    roundLeafHash(hasher, receipt.round),
    checkpoint.root,
    'round in calendar',
  );
  return { event, eventLeafHash: leaf, seal, round, checkpoint };
}

/** The records and proofs below the calendar: the event, its seal and the seal's round. */
export type ReceiptRecords = Pick<Receipt, 'event' | 'eventProof' | 'seal' | 'sealProof' | 'round'>;

/**
 * Steps 2–4 of receipt verification (docs/PROOFS.md §8): decodes the event, the seal and the round
 * and checks the event's inclusion in the seal and the seal's in the round. Shared with the COSE
 * receipt (§16), which carries the same records. Throws ReceiptError.
 */
export function checkRecordProofs(
  receipt: ReceiptRecords,
  hasher: MerkleHasher,
  sealTree?: MerkleTree,
): Omit<CheckedProofs, 'checkpoint'> {
  const {
    event,
    eventLeafHash: leaf,
    seal,
  } = checkEventInSeal(
    receipt,
    hasher,
    () => decode('SEAL_MALFORMED', () => decodeSeal(receipt.seal)),
    sealTree,
  );

  const round = decode('ROUND_MALFORMED', () => decodeRound(receipt.round));
  expectSize('SEAL_PROOF_INVALID', receipt.sealProof, round.sealCount, 'the round seal_count');
  proveInclusion(
    'SEAL_PROOF_INVALID',
    hasher,
    receipt.sealProof,
    sealLeafHash(hasher, receipt.seal),
    round.root,
    'seal in round',
  );
  if (seal.maxReceivedAt > round.closedAt) {
    fail(
      'SEAL_PROOF_INVALID',
      `seal max_received_at ${seal.maxReceivedAt} is after the round's closed_at ${round.closedAt}`,
    );
  }

  return { event, eventLeafHash: leaf, seal, round };
}

/**
 * Steps 2–3a: decodes the event, hashes it, takes the receipt's seal from `sealOf` (decoded there, so
 * that a malformed event is named before a malformed seal; or known from a memo) and checks the
 * event's inclusion in it — by hashing up the proof, or against `sealTree` (see checkReceiptProofs) —
 * and that it was received by the seal's max_received_at.
 */
function checkEventInSeal(
  receipt: Pick<Receipt, 'event' | 'eventProof'>,
  hasher: MerkleHasher,
  sealOf: () => SealRecord,
  sealTree?: MerkleTree,
): { event: DataEvent; eventLeafHash: Uint8Array; seal: SealRecord } {
  const event = decode('EVENT_MALFORMED', () => decodeEvent(receipt.event));
  const leaf = eventLeafHash(hasher, receipt.event);
  const seal = sealOf();
  expectSize('EVENT_PROOF_INVALID', receipt.eventProof, seal.leafCount, 'the seal leaf_count');
  if (sealTree === undefined) {
    proveInclusion('EVENT_PROOF_INVALID', hasher, receipt.eventProof, leaf, seal.root, 'event in seal');
  } else {
    checkInSealTree(receipt.eventProof, leaf, seal, sealTree);
  }
  if (event.receivedAt > seal.maxReceivedAt) {
    fail(
      'EVENT_PROOF_INVALID',
      `event received_at ${event.receivedAt} is after the seal's max_received_at ${seal.maxReceivedAt}`,
    );
  }
  return { event, eventLeafHash: leaf, seal };
}

/** Step 3a against a whole tree of the seal: the proof must be that tree's, for this leaf. */
function checkInSealTree(proof: ReceiptProof, leaf: Uint8Array, seal: SealRecord, tree: MerkleTree): void {
  if (tree.size !== seal.leafCount || !bytesEqual(tree.root(), seal.root)) {
    fail('EVENT_PROOF_INVALID', "event in seal: the seal tree given is not the seal's (leaf count or root)");
  }
  const index = proof.leafIndex;
  if (!Number.isSafeInteger(index) || index < 0 || index >= tree.size) {
    fail('EVENT_PROOF_INVALID', `event in seal: leaf index ${index} is not in a seal of ${tree.size} leaves`);
  }
  if (!bytesEqual(tree.leafHash(index), leaf)) {
    fail('EVENT_PROOF_INVALID', `event in seal: the event is not the seal's leaf ${index}`);
  }
  if (!tree.isInclusionProof(index, proof.hashes)) {
    fail(
      'EVENT_PROOF_INVALID',
      `event in seal: the proof is not the seal tree's inclusion proof of leaf ${index}`,
    );
  }
}

/**
 * Verifies a receipt (docs/PROOFS.md §8, steps 1–8) against the caller's trust. `input` is the JSON
 * text of a receipt file, as a string or UTF-8 bytes (checked for canonical form), or an already
 * parsed receipt. Returns what was proven, or throws ReceiptError whose code names the failed step.
 * Sizes and indices are checked before anything is hashed.
 */
export function verifyReceipt(
  input: string | Uint8Array | Receipt,
  trust: ReceiptTrust,
  crypto: ReceiptCrypto,
): VerifiedReceipt {
  const receipt = typeof input === 'string' || input instanceof Uint8Array ? parseReceiptJson(input) : input;
  const proofs = checkReceiptProofs(receipt, crypto.hasher);
  return checkReceiptSignatures(receipt, proofs, trust, crypto);
}

/**
 * How steps 6–8 check a note's signatures: directly (the default), or through a cache that checks
 * each note once (ReceiptVerifier). Both throw CheckpointError as openCheckpoint and
 * verifyCosignatures do.
 */
export interface NoteChecks {
  /** openCheckpoint(note, trust.logKeys, ed25519). */
  open(note: string): OpenedCheckpoint;
  /** verifyCosignatures(note, trust.witnessKeys, ed25519). */
  cosignatures(note: string): readonly Cosignature[];
}

/** The NoteChecks that verify every time. */
export function directNoteChecks(trust: ReceiptTrust, ed25519: Ed25519Verifier): NoteChecks {
  return {
    open: (note) => openCheckpoint(note, trust.logKeys, ed25519),
    cosignatures: (note) => verifyCosignatures(note, trust.witnessKeys ?? [], ed25519),
  };
}

/**
 * Steps 6–8 of receipt verification (docs/PROOFS.md §8) after checkReceiptProofs: the checkpoint's
 * log signatures, the extension, the lines of untrusted keys (strict mode), the witnesses and the
 * quorum. Throws ReceiptError.
 */
export function checkReceiptSignatures(
  receipt: Receipt,
  proofs: CheckedProofs,
  trust: ReceiptTrust,
  crypto: ReceiptCrypto,
  notes: NoteChecks = directNoteChecks(trust, crypto.ed25519),
): VerifiedReceipt {
  const { event, eventLeafHash: leaf, seal, round, checkpoint } = proofs;
  const opened = checkpointStep(() => notes.open(receipt.checkpoint));

  const logKeys = [...opened.signedBy];
  let extendedTo: Checkpoint | undefined;
  if (receipt.extension !== undefined) {
    const later = checkpointStep(() => notes.open(receipt.extension?.checkpoint ?? ''));
    extendedTo = later.checkpoint;
    proveExtension(checkpoint, extendedTo, receipt.extension.consistency, crypto.hasher);
    for (const name of later.signedBy) if (!logKeys.includes(name)) logKeys.push(name);
  }

  const unverifiedSignatures = untrustedLines(receipt, trust);
  if (trust.strict === true && unverifiedSignatures.length > 0) {
    const names = unverifiedSignatures.map((line) => line.name).join(', ');
    fail('UNKNOWN_SIGNATURE', `signature lines of untrusted keys (strict mode): ${names}`);
  }
  const witnesses = witnessStep(receipt, trust, notes);
  const quorum = trust.quorum ?? 0;
  if (witnesses.length < quorum) {
    fail('QUORUM_NOT_MET', `${witnesses.length} trusted witness cosignature(s), quorum is ${quorum}`);
  }
  return {
    event,
    eventLeafHash: leaf,
    seal,
    round,
    checkpoint,
    logKeys,
    witnesses,
    ...(extendedTo === undefined ? {} : { extendedTo }),
    unverifiedSignatures,
  };
}

/**
 * The signature lines no trusted key checks: a line is trusted only by a log key (0x01) given as a
 * log key or a witness key (0x04) given as a witness key, the keys steps 6–8 verify it with.
 */
function untrustedLines(receipt: Receipt, trust: ReceiptTrust): { name: string; keyId: number }[] {
  const keys = [
    ...trust.logKeys.filter((key) => key.algorithm === NOTE_ALG_ED25519),
    ...(trust.witnessKeys ?? []).filter((key) => key.algorithm === NOTE_ALG_COSIGNATURE_V1),
  ];
  const notes = [
    receipt.checkpoint,
    ...(receipt.extension === undefined ? [] : [receipt.extension.checkpoint]),
  ];
  const lines: { name: string; keyId: number }[] = [];
  for (const note of notes) {
    for (const signature of parseCheckpointNote(note).note.signatures) {
      const trusted = keys.some((key) => key.name === signature.name && key.keyId === signature.keyId);
      if (!trusted) lines.push({ name: signature.name, keyId: signature.keyId });
    }
  }
  return lines;
}

function witnessStep(receipt: Receipt, trust: ReceiptTrust, checks: NoteChecks): WitnessStatement[] {
  const keys = trust.witnessKeys ?? [];
  if (keys.length === 0) return [];
  const notes = [
    receipt.checkpoint,
    ...(receipt.extension === undefined ? [] : [receipt.extension.checkpoint]),
  ];
  const earliest = new Map<string, WitnessStatement>();
  for (const note of notes) {
    const cosignatures: readonly Cosignature[] = checkpointStep(() => checks.cosignatures(note));
    for (const cosignature of cosignatures) {
      const id = `${cosignature.name}+${cosignature.keyId}`;
      const known = earliest.get(id);
      if (known === undefined || cosignature.time < known.time) {
        earliest.set(id, { name: cosignature.name, keyId: cosignature.keyId, time: cosignature.time });
      }
    }
  }
  return [...earliest.values()];
}

function decode<T>(code: ReceiptFailureCode, run: () => T): T {
  try {
    return run();
  } catch (error: unknown) {
    if (error instanceof Error && 'code' in error) fail(code, `${error.message}`, error);
    throw error;
  }
}

function checkpointStep<T>(run: () => T): T {
  try {
    return run();
  } catch (error: unknown) {
    if (error instanceof CheckpointError) {
      fail(receiptCodeOf(error), error.message, error);
    }
    throw error;
  }
}

function expectSize(code: ReceiptFailureCode, proof: ReceiptProof, want: number, what: string): void {
  if (proof.treeSize !== want) fail(code, `proof treeSize ${proof.treeSize} is not ${what} ${want}`);
}

function proveInclusion(
  code: ReceiptFailureCode,
  hasher: MerkleHasher,
  proof: ReceiptProof,
  leafHash: Uint8Array,
  root: Uint8Array,
  what: string,
): void {
  try {
    verifyInclusion(hasher, proof.leafIndex, proof.treeSize, leafHash, proof.hashes, root);
  } catch (error: unknown) {
    if (error instanceof ProofError) fail(code, `${what}: ${error.code}: ${error.message}`, error);
    throw error;
  }
}

function fail(code: ReceiptFailureCode, message: string, cause?: unknown): never {
  throw new ReceiptError(code, message, cause === undefined ? undefined : { cause });
}
