import { type MerkleHasher, ProofError, verifyInclusion } from '@msi/merkle';
import {
  type AggregatedEvent,
  type AggregateRoot,
  aggregatedLeafHash,
  decodeAggregatedEvent,
  RootEventError,
  readRootEvent,
} from '../aggregate/index.js';
import type { AggregatedReceipt } from './aggregated-receipt.js';
import { parseAggregatedReceiptJson } from './aggregated-receipt-json.js';
import { ReceiptError } from './receipt-error.js';
import {
  type CheckedProofs,
  checkReceiptProofs,
  checkReceiptSignatures,
  type ReceiptCrypto,
  type ReceiptTrust,
  type VerifiedReceipt,
} from './verify-receipt.js';

/** What a valid receipt v2 proves (docs/PROOFS.md §13). */
export interface VerifiedAggregatedReceipt {
  readonly version: 2;
  /** The aggregated event, exactly as embedded. */
  readonly event: AggregatedEvent;
  /** Its leaf hash in the local tree, H(0x00 || aggregated event bytes). */
  readonly eventLeafHash: Uint8Array;
  /** Its position in the local tree and the tree's size (the root event's leaf count). */
  readonly leafIndex: number;
  readonly leafCount: number;
  /** The local tree's root, bound by the root event. */
  readonly localRoot: Uint8Array;
  /** The tenant and the submitter of the root event: who vouches for the local tree. */
  readonly tenant: string;
  readonly submitter: string;
  /** When ingest received the root event (µs): the aggregated event existed no later than this. */
  readonly receivedAt: number;
  /** What the root event's receipt v1 proves (its round, checkpoint, keys, witnesses). */
  readonly rootReceipt: VerifiedReceipt;
}

/** Steps 2–5 of receipt v2 verification, before any signature: what they establish. */
export interface CheckedAggregatedProofs {
  readonly event: AggregatedEvent;
  readonly eventLeafHash: Uint8Array;
  readonly root: CheckedProofs;
  readonly aggregate: AggregateRoot;
}

/**
 * Verifies a receipt v2 (docs/PROOFS.md §13, steps 1–6) against the caller's trust: its text (a
 * string or UTF-8 bytes, checked for canonical form) or a parsed receipt. Returns what was proven or
 * throws ReceiptError whose code names the failed step.
 */
export function verifyAggregatedReceipt(
  input: string | Uint8Array | AggregatedReceipt,
  trust: ReceiptTrust,
  crypto: ReceiptCrypto,
): VerifiedAggregatedReceipt {
  const receipt =
    typeof input === 'string' || input instanceof Uint8Array ? parseAggregatedReceiptJson(input) : input;
  const checked = checkAggregatedProofs(receipt, crypto.hasher);
  const rootReceipt = rootStep(() =>
    checkReceiptSignatures(receipt.rootReceipt, checked.root, trust, crypto),
  );
  return verifiedOf(receipt, checked, rootReceipt);
}

/**
 * Steps 2–5 (docs/PROOFS.md §13): decode the aggregated event; the root receipt's proofs (§8 steps
 * 2–5, messages prefixed `rootReceipt:`); the root event's aggregate rules; the event's leaf in the
 * local tree. Checks no signature. Throws ReceiptError.
 */
export function checkAggregatedProofs(
  receipt: AggregatedReceipt,
  hasher: MerkleHasher,
): CheckedAggregatedProofs {
  const { event, eventLeafHash } = checkAggregatedEvent(receipt, hasher);
  const root = rootStep(() => checkReceiptProofs(receipt.rootReceipt, hasher));
  const aggregate = rootEventStep(root);
  checkLocalProof(receipt, hasher, eventLeafHash, aggregate);
  return { event, eventLeafHash, root, aggregate };
}

/** Step 2: the aggregated event decodes (EVENT_MALFORMED); its leaf hash. */
export function checkAggregatedEvent(
  receipt: AggregatedReceipt,
  hasher: MerkleHasher,
): { event: AggregatedEvent; eventLeafHash: Uint8Array } {
  let event: AggregatedEvent;
  try {
    event = decodeAggregatedEvent(receipt.event);
  } catch (error: unknown) {
    if (error instanceof Error && 'code' in error) {
      throw new ReceiptError('EVENT_MALFORMED', `event: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return { event, eventLeafHash: aggregatedLeafHash(hasher, receipt.event) };
}

/** Step 4: the root receipt's event is a root event (ROOT_EVENT_INVALID): the root and leaf count. */
export function rootEventStep(root: CheckedProofs): AggregateRoot {
  try {
    return readRootEvent(root.event);
  } catch (error: unknown) {
    if (error instanceof RootEventError) {
      throw new ReceiptError('ROOT_EVENT_INVALID', `rootReceipt: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Step 5: `localProof.treeSize` is the leaf count and the proof leads from the event's leaf at
 * `leafIndex` to the local root (LOCAL_PROOF_INVALID). Sizes are checked before hashing.
 */
export function checkLocalProof(
  receipt: AggregatedReceipt,
  hasher: MerkleHasher,
  leaf: Uint8Array,
  aggregate: AggregateRoot,
): void {
  const { leafIndex, treeSize, hashes } = receipt.localProof;
  if (treeSize !== aggregate.leafCount) {
    throw new ReceiptError(
      'LOCAL_PROOF_INVALID',
      `localProof treeSize ${treeSize} is not the root event's leaf count ${aggregate.leafCount}`,
    );
  }
  try {
    verifyInclusion(hasher, leafIndex, treeSize, leaf, hashes, aggregate.root);
  } catch (error: unknown) {
    if (error instanceof ProofError) {
      throw new ReceiptError('LOCAL_PROOF_INVALID', `event in local tree: ${error.code}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** What a receipt v2 proves, from its checked parts and the root receipt's verification. */
export function verifiedOf(
  receipt: AggregatedReceipt,
  checked: Pick<CheckedAggregatedProofs, 'event' | 'eventLeafHash' | 'aggregate'>,
  rootReceipt: VerifiedReceipt,
): VerifiedAggregatedReceipt {
  return {
    version: 2,
    event: checked.event,
    eventLeafHash: checked.eventLeafHash,
    leafIndex: receipt.localProof.leafIndex,
    leafCount: checked.aggregate.leafCount,
    localRoot: checked.aggregate.root,
    tenant: rootReceipt.event.tenant,
    submitter: rootReceipt.event.submitter,
    receivedAt: rootReceipt.event.receivedAt,
    rootReceipt,
  };
}

/** Runs a step of the root receipt, prefixing its failure messages with `rootReceipt:`. */
export function rootStep<T>(run: () => T): T {
  try {
    return run();
  } catch (error: unknown) {
    if (error instanceof ReceiptError) {
      throw new ReceiptError(error.code, `rootReceipt: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
