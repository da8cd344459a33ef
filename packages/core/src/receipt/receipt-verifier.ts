import type { Cosignature, OpenedCheckpoint } from '../checkpoint/index.js';
import { decodeUtf8 } from '../encoding/index.js';
import type { AggregatedReceipt } from './aggregated-receipt.js';
import { aggregatedReceiptFromValue } from './aggregated-receipt-json.js';
import { CheckedAnchors } from './checked-anchors.js';
import { Lru } from './lru.js';
import type { Receipt } from './receipt.js';
import { ReceiptError } from './receipt-error.js';
import { bytes, object, proof, readReceiptValue, receiptFromValue } from './receipt-json.js';
import {
  type CheckedAggregatedProofs,
  checkAggregatedEvent,
  checkLocalProof,
  rootEventStep,
  rootStep,
  type VerifiedAggregatedReceipt,
  verifiedOf,
} from './verify-aggregated-receipt.js';
import {
  checkReceiptProofs,
  checkReceiptSignatures,
  directNoteChecks,
  type NoteChecks,
  type ReceiptCrypto,
  type ReceiptTrust,
  type VerifiedReceipt,
} from './verify-receipt.js';

/** What a valid receipt of either version proves. */
export type VerifiedAnyReceipt = (VerifiedReceipt & { readonly version: 1 }) | VerifiedAggregatedReceipt;

export interface ReceiptVerifierOptions {
  /** Signed notes (checkpoints) whose signature checks are remembered; default 1024. */
  readonly maxNotes?: number;
  /** Root receipts of receipts v2 whose verification is remembered; default 256. */
  readonly maxRootReceipts?: number;
  /** Seal → round → checkpoint steps of receipts v1 remembered (CheckedAnchors); default 1024. */
  readonly maxAnchors?: number;
}

/** A root receipt text longer than this is verified but not remembered (a valid one is a few KB). */
const MAX_CACHED_ROOT_CHARS = 64 * 1024;

/**
 * Verifies receipts of both versions (docs/PROOFS.md §8, §13) with one trust, remembering what every
 * receipt of the same checkpoint or the same local tree shares: a checkpoint's signatures are
 * checked once per note text, a receipt v1's seal → round → checkpoint steps once per seal, proofs
 * and checkpoint (CheckedAnchors), and a receipt v2's root receipt is verified once per text. Results are
 * exactly those of verifyReceipt / verifyAggregatedReceipt: the caches hold only successes, keyed by
 * the exact text checked, and the trust cannot change. Memory is bounded by entry counts (least
 * recently used dropped): `maxNotes` notes of at most 100 signature lines, `maxRootReceipts` root
 * receipts of at most 64 KiB of text each (a longer one is not remembered).
 */
export class ReceiptVerifier {
  readonly #trust: ReceiptTrust;
  readonly #crypto: ReceiptCrypto;
  readonly #notes: NoteChecks;
  readonly #anchors: CheckedAnchors;
  readonly #roots: Lru<{
    readonly receipt: Receipt;
    readonly proofs: Pick<CheckedAggregatedProofs, 'root' | 'aggregate'>;
    readonly verified: VerifiedReceipt;
  }>;

  constructor(trust: ReceiptTrust, crypto: ReceiptCrypto, options: ReceiptVerifierOptions = {}) {
    this.#trust = trust;
    this.#crypto = crypto;
    this.#notes = cachedNoteChecks(directNoteChecks(trust, crypto.ed25519), options.maxNotes ?? 1024);
    this.#roots = new Lru(options.maxRootReceipts ?? 256);
    this.#anchors = new CheckedAnchors(options.maxAnchors ?? 1024);
  }

  /** Verifies a receipt file (text or UTF-8 bytes) of version 1 or 2. Throws ReceiptError. */
  verify(input: string | Uint8Array): VerifiedAnyReceipt {
    const text = typeof input === 'string' ? input : utf8Text(input);
    const known = this.#knownRoot(text);
    if (known !== undefined) return known;
    const value = readReceiptValue(text);
    if (value.version === 1) {
      const receipt = receiptFromValue(value, 'receipt');
      const proofs = checkReceiptProofs(receipt, this.#crypto.hasher, this.#anchors);
      return {
        version: 1,
        ...checkReceiptSignatures(receipt, proofs, this.#trust, this.#crypto, this.#notes),
      };
    }
    if (value.version === 2) return this.#verifyAggregated(aggregatedReceiptFromValue(value), text);
    throw new ReceiptError(
      'UNSUPPORTED_VERSION',
      `receipt version ${value.version} is not supported (want 1 or 2)`,
    );
  }

  /**
   * A receipt v2 whose root receipt text was verified before: only the rest is read and checked.
   * The text is canonical exactly when the root receipt's text is (it was, as a member of a
   * canonical receipt) and the text with that member's value replaced by `0` is, since a canonical
   * object's text is its members' texts joined. Returns undefined, for the full path to decide (and
   * name the failing step), whenever anything is not as expected.
   */
  #knownRoot(text: string): VerifiedAggregatedReceipt | undefined {
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    const start = body.indexOf(ROOT_MEMBER);
    if (start < 0 || !body.endsWith(V2_END)) return undefined;
    const known = this.#roots.get(body.slice(start + ROOT_MEMBER.length, body.length - V2_END.length));
    if (known === undefined) return undefined;
    try {
      const rest = readReceiptValue(`${body.slice(0, start + ROOT_MEMBER.length)}0${V2_END}`);
      const members = object(rest, 'receipt', ['event', 'localProof', 'rootReceipt', 'version'], []);
      if (members.version !== 2 || members.rootReceipt !== 0) return undefined;
      const receipt: AggregatedReceipt = {
        version: 2,
        event: bytes(members.event, 'event'),
        localProof: proof(members.localProof, 'localProof'),
        rootReceipt: known.receipt,
      };
      const hasher = this.#crypto.hasher;
      const { event, eventLeafHash } = checkAggregatedEvent(receipt, hasher);
      checkLocalProof(receipt, hasher, eventLeafHash, known.proofs.aggregate);
      return verifiedOf(receipt, { event, eventLeafHash, aggregate: known.proofs.aggregate }, known.verified);
    } catch (error: unknown) {
      if (error instanceof ReceiptError) return undefined;
      throw error;
    }
  }

  #verifyAggregated(receipt: AggregatedReceipt, text: string): VerifiedAggregatedReceipt {
    const hasher = this.#crypto.hasher;
    const { event, eventLeafHash } = checkAggregatedEvent(receipt, hasher);
    const key = rootReceiptText(text);
    const known = key === undefined ? undefined : this.#roots.get(key);
    if (known !== undefined) {
      checkLocalProof(receipt, hasher, eventLeafHash, known.proofs.aggregate);
      return verifiedOf(receipt, { event, eventLeafHash, aggregate: known.proofs.aggregate }, known.verified);
    }
    const root = rootStep(() => checkReceiptProofs(receipt.rootReceipt, hasher));
    const aggregate = rootEventStep(root);
    checkLocalProof(receipt, hasher, eventLeafHash, aggregate);
    const verified = rootStep(() =>
      checkReceiptSignatures(receipt.rootReceipt, root, this.#trust, this.#crypto, this.#notes),
    );
    if (key !== undefined && key.length <= MAX_CACHED_ROOT_CHARS) {
      this.#roots.set(key, { receipt: receipt.rootReceipt, proofs: { root, aggregate }, verified });
    }
    return verifiedOf(receipt, { event, eventLeafHash, aggregate }, verified);
  }
}

const ROOT_MEMBER = ',"rootReceipt":';
const V2_END = ',"version":2}';

/**
 * The text of the `rootReceipt` member of a canonical receipt v2 text (already checked canonical):
 * its members are in the order event, localProof, rootReceipt, version, and nothing before
 * rootReceipt holds a quote that is not a delimiter (base64 and numbers), so the member's value is
 * the text between the first `,"rootReceipt":` and the final `,"version":2}`.
 */
function rootReceiptText(text: string): string | undefined {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const start = body.indexOf(ROOT_MEMBER);
  if (start < 0 || !body.endsWith(V2_END)) return undefined;
  return body.slice(start + ROOT_MEMBER.length, body.length - V2_END.length);
}

function utf8Text(bytes: Uint8Array): string {
  try {
    return decodeUtf8(bytes);
  } catch (error: unknown) {
    throw new ReceiptError('RECEIPT_MALFORMED', `receipt is not JSON: not UTF-8`, { cause: error });
  }
}

/** NoteChecks that check each note text once (successes only), at most `max` remembered. */
function cachedNoteChecks(direct: NoteChecks, max: number): NoteChecks {
  const opened = new Lru<OpenedCheckpoint>(max);
  const cosigned = new Lru<readonly Cosignature[]>(max);
  return {
    open(note) {
      const known = opened.get(note);
      if (known !== undefined) return known;
      const result = direct.open(note);
      opened.set(note, result);
      return result;
    },
    cosignatures(note) {
      const known = cosigned.get(note);
      if (known !== undefined) return known;
      const result = direct.cosignatures(note);
      cosigned.set(note, result);
      return result;
    },
  };
}
