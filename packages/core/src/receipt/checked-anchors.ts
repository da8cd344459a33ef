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

/**
 * Remembers the seal → round → checkpoint steps of receipts already checked (docs/PROOFS.md §8,
 * steps 3b–5), keyed by the exact bytes those steps read: the seal record, the seal proof, the round
 * record, the round proof and the checkpoint text. Every event of a seal shares them, so a verifier
 * serving or checking many receipts of one seal checks them once; the event's own step (2–3a) is
 * checked every time. Only successes are kept, and nothing else enters the key, so a receipt is
 * accepted or refused exactly as without the memo. Bounded by an entry count (least recently used
 * dropped).
 */
export class CheckedAnchors {
  readonly #checked: Lru<CheckedAnchor>;

  /** `max`: entries kept (each a few hundred bytes of key and the decoded records); default 1024. */
  constructor(max = 1024) {
    this.#checked = new Lru(max);
  }

  /** The key of `receipt`'s upper steps. */
  keyOf(receipt: Receipt): string {
    const { sealProof, roundProof } = receipt;
    return [
      latin1(receipt.seal),
      sealProof.leafIndex,
      sealProof.treeSize,
      ...sealProof.hashes.map(latin1),
      latin1(receipt.round),
      roundProof.leafIndex,
      roundProof.treeSize,
      ...roundProof.hashes.map(latin1),
      receipt.checkpoint,
    ].join('\u0000');
  }

  get(key: string): CheckedAnchor | undefined {
    return this.#checked.get(key);
  }

  /** Records that the upper steps of the receipt with this key were checked and passed. */
  remember(key: string, anchor: CheckedAnchor): void {
    this.#checked.set(key, anchor);
  }
}

/** Bytes as one character per byte (a compact, exact key; hashes and records are short). */
function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096)
    text += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 4096)));
  return text;
}
