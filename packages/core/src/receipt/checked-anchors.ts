import type { Checkpoint } from '../checkpoint/index.js';
import type { RoundRecord } from '../round/index.js';
import type { SealRecord } from '../seal/index.js';
import { Lru } from './lru.js';
import type { Receipt } from './receipt.js';

/** What the upper steps of a receipt establish: its seal is in its round, its round in its checkpoint. */
export interface CheckedAnchor {
  readonly seal: SealRecord;
  readonly round: RoundRecord;
  /** The checkpoint as written in the receipt: its signatures are NOT checked by these steps. */
  readonly checkpoint: Checkpoint;
}

/** A remembered check: the exact bytes it read, and what it established. */
interface Checked {
  readonly checkpoint: string;
  readonly seal: Uint8Array;
  readonly sealHashes: readonly Uint8Array[];
  readonly round: Uint8Array;
  readonly roundHashes: readonly Uint8Array[];
  readonly anchor: CheckedAnchor;
}

/**
 * Remembers the seal → round → checkpoint steps of receipts already checked (docs/PROOFS.md §8,
 * steps 3b–5) with the exact bytes those steps read: the seal record, the seal proof, the round
 * record, the round proof and the checkpoint text. Every event of a seal shares them, so a verifier
 * serving or checking many receipts of one seal checks them once; the event's own step (2–3a) is
 * checked every time. A receipt is answered from the memo only when every one of those bytes equals
 * a remembered success (found by the checkpoint text and the proofs' positions, then compared), so
 * it is accepted or refused exactly as without the memo. Bounded by an entry count (least recently
 * used dropped); the bytes are copied in, so a caller reusing its buffers cannot change an entry.
 */
export class CheckedAnchors {
  readonly #checked: Lru<Checked>;

  /** `max`: entries kept (each about a kilobyte); default 1024. */
  constructor(max = 1024) {
    this.#checked = new Lru(max);
  }

  /** What the upper steps of `receipt` established, when exactly its bytes passed them before. */
  lookup(receipt: Receipt): CheckedAnchor | undefined {
    const checked = this.#checked.get(keyOf(receipt));
    if (
      checked === undefined ||
      checked.checkpoint !== receipt.checkpoint ||
      !sameBytes(checked.seal, receipt.seal) ||
      !sameBytes(checked.round, receipt.round) ||
      !sameList(checked.sealHashes, receipt.sealProof.hashes) ||
      !sameList(checked.roundHashes, receipt.roundProof.hashes)
    )
      return undefined;
    return checked.anchor;
  }

  /** Records that the upper steps of `receipt` were checked and passed, establishing `anchor`. */
  remember(receipt: Receipt, anchor: CheckedAnchor): void {
    this.#checked.set(keyOf(receipt), {
      checkpoint: receipt.checkpoint,
      seal: new Uint8Array(receipt.seal),
      sealHashes: receipt.sealProof.hashes.map((hash) => new Uint8Array(hash)),
      round: new Uint8Array(receipt.round),
      roundHashes: receipt.roundProof.hashes.map((hash) => new Uint8Array(hash)),
      anchor,
    });
  }
}

/**
 * Where to look: the positions and sizes of the two proofs and the checkpoint text's length — a short
 * key, not the text (hashing a fresh key of a few hundred characters per lookup was most of a
 * lookup's cost); the text is compared with the entry's. Receipts of one seal against two checkpoint
 * texts of one length share a slot and take turns in it: each is then checked in full, as without
 * the memo.
 */
function keyOf(receipt: Receipt): string {
  const { sealProof, roundProof } = receipt;
  return `${sealProof.leafIndex}/${sealProof.treeSize}/${roundProof.leafIndex}/${roundProof.treeSize}/${receipt.checkpoint.length}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameList(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameBytes(a[i] as Uint8Array, b[i] as Uint8Array)) return false;
  return true;
}
