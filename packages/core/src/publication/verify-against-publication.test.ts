import { describe, expect, it } from 'vitest';
import { openCheckpoint, verifyCosignatures } from '../checkpoint/index.js';
import { defaultEd25519 } from '../note/index.js';
import { extendReceipt } from '../receipt/build-receipt.js';
import type { Receipt } from '../receipt/receipt.js';
import { ReceiptError, type ReceiptFailureCode } from '../receipt/receipt-error.js';
import { receiptToJson } from '../receipt/receipt-json.js';
import { buildWorld, hasher, ORIGIN, trustAll } from '../receipt/receipt-world.test-helper.js';
import { formatPublication, parsePublication } from './publication.js';
import { PublicationError } from './publication-error.js';
import { verifyReceiptAgainstPublication } from './verify-against-publication.js';

// Round 0: seals of 2 and 1 events; round 1: empty; round 2: 3 events; rounds 3–5: 1 each.
const world = buildWorld([[2, 1], [], [3], [1], [1], [1]]);
const TIME = 1_764_040_000;
const publicationAt = (size: number) => parsePublication(formatPublication(TIME, world.checkpointAt(size)));

function extended(i: number, from: number, to: number): Receipt {
  return extendReceipt(world.receipt(i, from), {
    checkpoint: world.checkpointAt(to),
    consistency: world.consistency(from, to),
  });
}

function failureCode(run: () => unknown): ReceiptFailureCode {
  try {
    run();
  } catch (error) {
    if (error instanceof ReceiptError) return error.code;
    throw error;
  }
  throw new Error('expected verification to fail');
}

describe('verifyReceiptAgainstPublication', () => {
  it('verifies extended receipts against the publication of their size, with no key', () => {
    const n = world.calendarSize;
    const publication = publicationAt(n);
    for (let i = 0; i < world.eventCount; i++) {
      const k = world.roundOf(i);
      const proven = verifyReceiptAgainstPublication(
        receiptToJson(extended(i, k + 1, n)),
        publication,
        hasher,
      );
      expect(proven.matchedBy).toBe(k + 1 === n ? 'checkpoint' : 'extension');
      expect(proven.round.round).toBe(k);
      expect(proven.publishedAt).toBe(TIME);
      expect(proven.published).toMatchObject({ origin: ORIGIN, size: n });
      expect(proven.checkpoint.size).toBe(k + 1);
      expect(proven.event.receivedAt).toBeLessThanOrEqual(proven.round.closedAt);
    }
  });

  it('verifies a receipt whose own checkpoint is the publication’s', () => {
    const proven = verifyReceiptAgainstPublication(world.receipt(3, 4), publicationAt(4), hasher);
    expect(proven.matchedBy).toBe('checkpoint');
  });

  it('fails PUBLICATION_MISMATCH against a publication of another size or root', () => {
    const receipt = extended(0, 1, 5);
    expect(failureCode(() => verifyReceiptAgainstPublication(receipt, publicationAt(6), hasher))).toBe(
      'PUBLICATION_MISMATCH',
    );
    expect(failureCode(() => verifyReceiptAgainstPublication(receipt, publicationAt(4), hasher))).toBe(
      'PUBLICATION_MISMATCH',
    );
    const other = buildWorld([[2, 1], [], [3], [2], [1], [1]]);
    const forked = parsePublication(formatPublication(TIME, other.checkpointAt(5)));
    expect(forked.checkpoint.size).toBe(5);
    expect(failureCode(() => verifyReceiptAgainstPublication(receipt, forked, hasher))).toBe(
      'PUBLICATION_MISMATCH',
    );
    expect(
      failureCode(() => verifyReceiptAgainstPublication(world.receipt(0, 1), publicationAt(5), hasher)),
    ).toBe('PUBLICATION_MISMATCH');
  });

  it('fails a receipt whose extension proof is wrong', () => {
    const publication = publicationAt(6);
    const good = extended(4, 3, 6);
    const hashes = good.extension?.consistency ?? [];
    expect(hashes.length).toBeGreaterThan(0);
    const flipped = hashes.map((hash, j) => (j === 0 ? hash.map((b, at) => (at === 0 ? b ^ 1 : b)) : hash));
    const cases: Receipt[] = [
      { ...good, extension: { checkpoint: world.checkpointAt(6), consistency: flipped } },
      { ...good, extension: { checkpoint: world.checkpointAt(6), consistency: hashes.slice(1) } },
      { ...good, extension: { checkpoint: world.checkpointAt(6), consistency: world.consistency(2, 6) } },
    ];
    for (const receipt of cases) {
      expect(failureCode(() => verifyReceiptAgainstPublication(receipt, publication, hasher))).toBe(
        'CONSISTENCY_PROOF_INVALID',
      );
    }
  });

  it('checks the extension even when the receipt’s own checkpoint is the publication’s', () => {
    const receipt = extendReceipt(world.receipt(0, 3), {
      checkpoint: world.checkpointAt(5),
      consistency: world.consistency(2, 5),
    });
    expect(failureCode(() => verifyReceiptAgainstPublication(receipt, publicationAt(3), hasher))).toBe(
      'CONSISTENCY_PROOF_INVALID',
    );
    const sound = extendReceipt(receipt, {
      checkpoint: world.checkpointAt(5),
      consistency: world.consistency(3, 5),
    });
    expect(verifyReceiptAgainstPublication(sound, publicationAt(3), hasher).matchedBy).toBe('checkpoint');
  });

  it('still runs steps 1–5: a broken inclusion proof fails with its step’s code', () => {
    const good = extended(0, 1, 6);
    const broken: Receipt = { ...good, roundProof: { ...good.roundProof, leafIndex: 1 } };
    expect(failureCode(() => verifyReceiptAgainstPublication(broken, publicationAt(6), hasher))).toBe(
      'ROUND_PROOF_INVALID',
    );
    expect(failureCode(() => verifyReceiptAgainstPublication('{}', publicationAt(6), hasher))).toBe(
      'RECEIPT_MALFORMED',
    );
  });

  it('makes every single-character mutation of the publication fail, or change what is proven', () => {
    const receipt = extended(5, 4, 6);
    const text = formatPublication(TIME, world.checkpointAt(6));
    const ed25519 = defaultEd25519();
    const timeLine = { start: text.indexOf('time '), end: text.indexOf('\n\n') };
    const signaturesStart = text.indexOf('\n\n—') + 2;
    let refused = 0;
    let timeChanged = 0;
    let signatureFailed = 0;
    for (let at = 0; at < text.length; at++) {
      for (const replacement of mutationsOf(text.charAt(at))) {
        const mutated = text.slice(0, at) + replacement + text.slice(at + 1);
        let outcome: 'refused' | { time: number; note: string };
        try {
          const publication = parsePublication(mutated);
          const proven = verifyReceiptAgainstPublication(receipt, publication, hasher);
          outcome = { time: proven.publishedAt, note: publication.note };
        } catch (error) {
          if (!(error instanceof PublicationError || error instanceof ReceiptError)) throw error;
          outcome = 'refused';
        }
        if (outcome === 'refused') {
          refused++;
        } else if (at >= timeLine.start && at < timeLine.end) {
          // The time is trusted with the publication: a changed time is a different publication.
          expect(outcome.time).not.toBe(TIME);
          timeChanged++;
        } else {
          // Signature lines are carried for key holders: with the keys, the mutation is caught.
          expect(at).toBeGreaterThanOrEqual(signaturesStart);
          expect(() => checkAllSignatures(outcome.note, ed25519)).toThrow();
          signatureFailed++;
        }
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(timeChanged).toBeGreaterThan(0);
    expect(signatureFailed).toBeGreaterThan(0);
  });
});

/** A few replacements for one character: a neighbour, a letter, nothing. */
function mutationsOf(c: string): string[] {
  const neighbour = String.fromCharCode(c.charCodeAt(0) ^ 1);
  return [neighbour, c === 'A' ? 'B' : 'A', ''];
}

/** Checks the log signature and both witnesses' cosignatures (their times are signed too). */
function checkAllSignatures(note: string, ed25519: ReturnType<typeof defaultEd25519>): void {
  openCheckpoint(note, trustAll.logKeys, ed25519);
  const cosignatures = verifyCosignatures(note, trustAll.witnessKeys, ed25519);
  if (cosignatures.length !== 2) throw new Error(`${cosignatures.length} cosignatures verified`);
}
