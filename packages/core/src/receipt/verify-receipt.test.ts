import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultEd25519, verifierKeyOf } from '../note/index.js';
import { extendReceipt } from './build-receipt.js';
import type { Receipt } from './receipt.js';
import { ReceiptError, type ReceiptFailureCode } from './receipt-error.js';
import { parseReceiptJson, receiptToJson } from './receipt-json.js';
import { buildWorld, hasher, ORIGIN, otherLogKey, trustAll } from './receipt-world.test-helper.js';
import { type ReceiptTrust, verifyReceipt } from './verify-receipt.js';

const crypto = { hasher, ed25519: defaultEd25519() };
// Round 0: seals of 3 and 1 events; round 1: empty; round 2: one seal of 5 events; round 3: 2 and 2.
const world = buildWorld([[3, 1], [], [5], [2, 2]]);

function failureCode(run: () => unknown): ReceiptFailureCode {
  try {
    run();
  } catch (error) {
    if (error instanceof ReceiptError) return error.code;
    throw error;
  }
  throw new Error('expected the receipt to fail');
}

describe('verifyReceipt', () => {
  it('proves every event of the world, each from its canonical JSON', () => {
    for (let i = 0; i < world.eventCount; i++) {
      const proven = verifyReceipt(receiptToJson(world.receipt(i)), { ...trustAll, quorum: 2 }, crypto);
      expect(proven.round.round).toBe(world.roundOf(i));
      expect(proven.checkpoint).toMatchObject({ origin: ORIGIN, size: world.calendarSize });
      expect(proven.logKeys).toEqual([ORIGIN]);
      expect(proven.witnesses.map((w) => [w.name, w.time])).toEqual([
        ['witness.test/a', 1_764_000_100],
        ['witness.test/b', 1_764_000_105],
      ]);
      expect(proven.event.receivedAt).toBeLessThanOrEqual(proven.round.closedAt);
    }
  });

  it('accepts one trailing newline and nothing else around the canonical text', () => {
    const text = receiptToJson(world.receipt(0));
    expect(() => verifyReceipt(`${text}\n`, trustAll, crypto)).not.toThrow();
    expect(failureCode(() => verifyReceipt(`${text}\n\n`, trustAll, crypto))).toBe('RECEIPT_NOT_CANONICAL');
    expect(failureCode(() => verifyReceipt(` ${text}`, trustAll, crypto))).toBe('RECEIPT_NOT_CANONICAL');
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(text)).reverse()));
    expect(failureCode(() => verifyReceipt(reordered, trustAll, crypto))).toBe('RECEIPT_NOT_CANONICAL');
    expect(failureCode(() => verifyReceipt('{"version":1}', trustAll, crypto))).toBe('RECEIPT_MALFORMED');
    expect(failureCode(() => verifyReceipt('not json', trustAll, crypto))).toBe('RECEIPT_MALFORMED');
  });

  it('reads UTF-8 bytes, refusing ill-formed UTF-8 as malformed', () => {
    const bytes = new TextEncoder().encode(`${receiptToJson(world.receipt(0))}\n`);
    expect(verifyReceipt(bytes, trustAll, crypto).round.round).toBe(0);
    const broken = Uint8Array.of(...bytes.subarray(0, 10), 0xff, ...bytes.subarray(11));
    expect(failureCode(() => verifyReceipt(broken, trustAll, crypto))).toBe('RECEIPT_MALFORMED');
  });

  it('checks the version before the members, and canonical form before both (step 1)', () => {
    const code = (text: string) => failureCode(() => verifyReceipt(text, trustAll, crypto));
    expect(code('{"version":2}')).toBe('UNSUPPORTED_VERSION');
    expect(code('{"next":[],"version":2}')).toBe('UNSUPPORTED_VERSION');
    expect(code('{"version": 2}')).toBe('RECEIPT_NOT_CANONICAL');
    expect(code('{"version":"1"}')).toBe('RECEIPT_MALFORMED');
    expect(code('{"event":""}')).toBe('RECEIPT_MALFORMED');
    expect(code('[1]')).toBe('RECEIPT_MALFORMED');
  });

  it('round-trips receipts through JSON', () => {
    const receipt = extendReceipt(world.receipt(0, 1), {
      checkpoint: world.checkpointAt(4),
      consistency: world.consistency(1, 4),
    });
    expect(parseReceiptJson(receiptToJson(receipt))).toEqual(receipt);
  });

  it('trusts only the caller’s keys', () => {
    const text = receiptToJson(world.receipt(2));
    const noLogKey: ReceiptTrust = { logKeys: [] };
    expect(failureCode(() => verifyReceipt(text, noLogKey, crypto))).toBe('UNTRUSTED_KEY');
    const impostor: ReceiptTrust = { logKeys: [verifierKeyOf(otherLogKey.signer)] };
    expect(failureCode(() => verifyReceipt(text, impostor, crypto))).toBe('UNTRUSTED_KEY');
  });

  it('enforces the witness quorum', () => {
    const text = receiptToJson(world.receipt(2));
    expect(verifyReceipt(text, { ...trustAll, quorum: 2 }, crypto).witnesses).toHaveLength(2);
    expect(failureCode(() => verifyReceipt(text, { ...trustAll, quorum: 3 }, crypto))).toBe('QUORUM_NOT_MET');
    const onlyA = { logKeys: trustAll.logKeys, witnessKeys: trustAll.witnessKeys.slice(0, 1), quorum: 2 };
    expect(failureCode(() => verifyReceipt(text, onlyA, crypto))).toBe('QUORUM_NOT_MET');
    expect(failureCode(() => verifyReceipt(text, { logKeys: trustAll.logKeys, quorum: 1 }, crypto))).toBe(
      'QUORUM_NOT_MET',
    );
  });

  it('verifies an extended receipt and rejects a bad extension', () => {
    const early = world.receipt(0, 1);
    const extended = extendReceipt(early, {
      checkpoint: world.checkpointAt(4),
      consistency: world.consistency(1, 4),
    });
    expect(verifyReceipt(extended, trustAll, crypto).extendedTo?.size).toBe(4);
    const wrongProof = extendReceipt(early, {
      checkpoint: world.checkpointAt(4),
      consistency: world.consistency(2, 4),
    });
    expect(failureCode(() => verifyReceipt(wrongProof, trustAll, crypto))).toBe('CONSISTENCY_PROOF_INVALID');
    const backwards = extendReceipt(world.receipt(0, 3), {
      checkpoint: world.checkpointAt(2),
      consistency: [],
    });
    expect(failureCode(() => verifyReceipt(backwards, trustAll, crypto))).toBe('EXTENSION_INVALID');
  });

  it.each<[string, (r: Receipt) => Receipt, ReceiptFailureCode]>([
    ['an event byte', (r) => ({ ...r, event: flip(r.event, 40) }), 'EVENT_PROOF_INVALID'],
    ['the event magic', (r) => ({ ...r, event: flip(r.event, 0) }), 'EVENT_MALFORMED'],
    [
      'the event index',
      (r) => ({ ...r, eventProof: { ...r.eventProof, leafIndex: r.eventProof.leafIndex + 1 } }),
      'EVENT_PROOF_INVALID',
    ],
    [
      'the seal size',
      (r) => ({ ...r, eventProof: { ...r.eventProof, treeSize: r.eventProof.treeSize + 1 } }),
      'EVENT_PROOF_INVALID',
    ],
    [
      'an event proof hash',
      (r) => ({
        ...r,
        eventProof: {
          ...r.eventProof,
          hashes: [flip(r.eventProof.hashes[0] ?? new Uint8Array(32), 3), ...r.eventProof.hashes.slice(1)],
        },
      }),
      'EVENT_PROOF_INVALID',
    ],
    ['the seal root', (r) => ({ ...r, seal: flip(r.seal, r.seal.length - 1) }), 'EVENT_PROOF_INVALID'],
    ['the seal magic', (r) => ({ ...r, seal: flip(r.seal, 1) }), 'SEAL_MALFORMED'],
    [
      'the seal index',
      (r) => ({ ...r, sealProof: { ...r.sealProof, leafIndex: r.sealProof.leafIndex + 1 } }),
      'SEAL_PROOF_INVALID',
    ],
    ['the round root', (r) => ({ ...r, round: flip(r.round, r.round.length - 1) }), 'SEAL_PROOF_INVALID'],
    ['the round closed_at', (r) => ({ ...r, round: flip(r.round, 20) }), 'ROUND_PROOF_INVALID'],
    ['the round version', (r) => ({ ...r, round: flip(r.round, 4) }), 'ROUND_MALFORMED'],
    [
      'the round index',
      (r) => ({ ...r, roundProof: { ...r.roundProof, leafIndex: r.roundProof.leafIndex + 1 } }),
      'ROUND_PROOF_INVALID',
    ],
    [
      'the calendar size',
      (r) => ({ ...r, roundProof: { ...r.roundProof, treeSize: r.roundProof.treeSize - 1 } }),
      'ROUND_PROOF_INVALID',
    ],
    ['the checkpoint root', (r) => ({ ...r, checkpoint: otherRoot(r.checkpoint) }), 'ROUND_PROOF_INVALID'],
    [
      'a checkpoint signature',
      (r) => ({ ...r, checkpoint: otherSignature(r.checkpoint) }),
      'SIGNATURE_INVALID',
    ],
    [
      'the checkpoint text',
      (r) => ({ ...r, checkpoint: r.checkpoint.replace('\n\n', '\n') }),
      'CHECKPOINT_MALFORMED',
    ],
  ])('fails when %s changes', (_what, mutate, code) => {
    expect(failureCode(() => verifyReceipt(mutate(world.receipt(1)), trustAll, crypto))).toBe(code);
  });

  it('reports signature lines of untrusted keys, and refuses them in strict mode', () => {
    const receipt = world.receipt(0);
    const onlyLog = { logKeys: trustAll.logKeys };
    expect(verifyReceipt(receipt, onlyLog, crypto).unverifiedSignatures.map((line) => line.name)).toEqual([
      'witness.test/a',
      'witness.test/b',
    ]);
    expect(failureCode(() => verifyReceipt(receipt, { ...onlyLog, strict: true }, crypto))).toBe(
      'UNKNOWN_SIGNATURE',
    );
    expect(verifyReceipt(receipt, { ...trustAll, strict: true }, crypto).unverifiedSignatures).toEqual([]);
  });

  it('counts a witness key given as a log key as untrusted: nothing would check its line', () => {
    const receipt = world.receipt(0);
    const swapped = { logKeys: [...trustAll.logKeys, ...trustAll.witnessKeys] };
    expect(verifyReceipt(receipt, swapped, crypto).unverifiedSignatures).toHaveLength(2);
    expect(failureCode(() => verifyReceipt(receipt, { ...swapped, strict: true }, crypto))).toBe(
      'UNKNOWN_SIGNATURE',
    );
  });

  it('fails on any single-character change of the JSON text (strict, every key trusted)', () => {
    const receipt = extendReceipt(world.receipt(5, 3), {
      checkpoint: world.checkpointAt(4),
      consistency: world.consistency(3, 4),
    });
    const text = receiptToJson(receipt);
    expect(() => verifyReceipt(text, { ...trustAll, quorum: 2 }, crypto)).not.toThrow();
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.integer({ min: 0x20, max: 0x7e }), (at, code) => {
        const replacement = String.fromCharCode(code);
        fc.pre(text[at] !== replacement);
        const mutated = text.slice(0, at) + replacement + text.slice(at + 1);
        expect(() => verifyReceipt(mutated, { ...trustAll, quorum: 2, strict: true }, crypto)).toThrow(
          ReceiptError,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('proves every receipt of random worlds', () => {
    const layout = fc.array(fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 4 }), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(layout, (rounds) => {
        const random = buildWorld(rounds);
        for (let i = 0; i < random.eventCount; i++) {
          const proven = verifyReceipt(random.receipt(i), { logKeys: trustAll.logKeys }, crypto);
          expect(proven.round.round).toBe(random.roundOf(i));
        }
      }),
      { numRuns: 15 },
    );
  });
});

/** The checkpoint note with its root line (the third) replaced by another valid root. */
function otherRoot(note: string): string {
  const lines = note.split('\n');
  lines[2] = lines[2]?.startsWith('A') ? `B${lines[2].slice(1)}` : `A${lines[2]?.slice(1) ?? ''}`;
  return lines.join('\n');
}

/** The checkpoint note with one character of the log's signature line changed (still valid base64). */
function otherSignature(note: string): string {
  const lines = note.split('\n');
  const at = lines.findIndex((line) => line.startsWith(`— ${ORIGIN} `));
  const line = lines[at] ?? '';
  const i = line.length - 10;
  lines[at] = line.slice(0, i) + (line[i] === 'A' ? 'B' : 'A') + line.slice(i + 1);
  return lines.join('\n');
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}
