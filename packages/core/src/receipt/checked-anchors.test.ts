import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CheckedAnchors } from './checked-anchors.js';
import type { Receipt } from './receipt.js';
import { parseReceiptJson } from './receipt-json.js';
import { buildWorld, hasher } from './receipt-world.test-helper.js';
import { flipped, outcome } from './verdict.test-helper.js';
import { checkReceiptProofs } from './verify-receipt.js';

const world = buildWorld([[4, 3], [], [5], [2, 2]]);

describe('checkReceiptProofs with CheckedAnchors', () => {
  it('gives every receipt of every seal exactly the result it gives without the memo', () => {
    const anchors = new CheckedAnchors(4);
    for (let i = 0; i < world.eventCount; i++) {
      for (const size of [world.roundOf(i) + 1, world.calendarSize]) {
        const receipt = world.receipt(i, size);
        expect(checkReceiptProofs(receipt, hasher, anchors)).toEqual(checkReceiptProofs(receipt, hasher));
        // and once more, now from the memo
        expect(checkReceiptProofs(receipt, hasher, anchors)).toEqual(checkReceiptProofs(receipt, hasher));
      }
    }
  });

  it.each<[string, (r: Receipt) => Receipt, string]>([
    ['the event changed', (r) => ({ ...r, event: flipped(r.event) }), 'EVENT_PROOF_INVALID'],
    [
      'an event proof hash changed',
      (r) => ({ ...r, eventProof: { ...r.eventProof, hashes: r.eventProof.hashes.map(flipped) } }),
      'EVENT_PROOF_INVALID',
    ],
    [
      'a round proof hash changed',
      (r) => ({ ...r, roundProof: { ...r.roundProof, hashes: r.roundProof.hashes.map(flipped) } }),
      'ROUND_PROOF_INVALID',
    ],
    [
      'a seal proof hash changed',
      (r) => ({ ...r, sealProof: { ...r.sealProof, hashes: r.sealProof.hashes.map(flipped) } }),
      'SEAL_PROOF_INVALID',
    ],
    [
      'the checkpoint changed',
      (r) => ({ ...r, checkpoint: r.checkpoint.replace('\n', ' \n') }),
      'CHECKPOINT_MALFORMED',
    ],
  ])('refuses a receipt whose sibling warmed the memo when %s', (_name, tamper, code) => {
    const anchors = new CheckedAnchors();
    checkReceiptProofs(world.receipt(0), hasher, anchors); // event 0 and event 1 share their seal
    const tampered = tamper(world.receipt(1));
    expect(outcome(() => checkReceiptProofs(tampered, hasher, anchors)).verdict).toBe(code);
    expect(outcome(() => checkReceiptProofs(tampered, hasher)).verdict).toBe(code);
  });

  it('refuses a sibling whose checkpoint text differs in one character, its length the same', () => {
    const anchors = new CheckedAnchors();
    checkReceiptProofs(world.receipt(0), hasher, anchors);
    const r = world.receipt(1);
    const lines = r.checkpoint.split('\n');
    const root = lines[2] ?? '';
    lines[2] = (root[0] === 'A' ? 'B' : 'A') + root.slice(1); // another root of the same length
    const tampered = { ...r, checkpoint: lines.join('\n') };
    expect(tampered.checkpoint.length).toBe(r.checkpoint.length);
    const verdict = outcome(() => checkReceiptProofs(tampered, hasher)).verdict;
    expect(verdict).not.toBe('VALID');
    expect(outcome(() => checkReceiptProofs(tampered, hasher, anchors)).verdict).toBe(verdict);
  });

  it('keeps its own copy of the bytes it checked: a caller reusing its buffers changes nothing', () => {
    const anchors = new CheckedAnchors();
    const roundBytes = world.receipt(0).round.slice(); // the caller's own buffer
    checkReceiptProofs({ ...world.receipt(0), round: roundBytes }, hasher, anchors);
    roundBytes[roundBytes.length - 1] = (roundBytes[roundBytes.length - 1] ?? 0) ^ 1; // after the check
    expect(outcome(() => checkReceiptProofs(world.receipt(1), hasher, anchors)).verdict).toBe('VALID');
    const sibling = { ...world.receipt(1), round: roundBytes };
    expect(outcome(() => checkReceiptProofs(sibling, hasher, anchors)).verdict).toBe(
      outcome(() => checkReceiptProofs(sibling, hasher)).verdict,
    );
    expect(outcome(() => checkReceiptProofs(sibling, hasher)).verdict).not.toBe('VALID');
  });

  it('copies Node Buffers too (whose slice() is a view, not a copy)', () => {
    const anchors = new CheckedAnchors();
    const r = world.receipt(0);
    const round = Buffer.from(r.round);
    const sealHashes = r.sealProof.hashes.map((hash) => Buffer.from(hash));
    checkReceiptProofs({ ...r, round, sealProof: { ...r.sealProof, hashes: sealHashes } }, hasher, anchors);
    round[round.length - 1] = (round[round.length - 1] ?? 0) ^ 1; // the caller reuses its buffers
    for (const hash of sealHashes) hash[0] = (hash[0] ?? 0) ^ 1;
    const sibling = {
      ...world.receipt(1),
      round,
      sealProof: { ...world.receipt(1).sealProof, hashes: sealHashes },
    };
    const verdict = outcome(() => checkReceiptProofs(sibling, hasher)).verdict;
    expect(verdict).not.toBe('VALID');
    expect(outcome(() => checkReceiptProofs(sibling, hasher, anchors)).verdict).toBe(verdict);
  });

  it('gives every receipt vector its verdict, with the memo warmed by the valid ones first', () => {
    const dir = fileURLToPath(new URL('../../testdata/receipts/', import.meta.url));
    const receipts: Receipt[] = [];
    const walk = (at: string): void => {
      for (const entry of readdirSync(at, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(`${at}${entry.name}/`);
        else if (entry.name.endsWith('.json') && entry.name !== 'vectors.json') {
          try {
            receipts.push(parseReceiptJson(readFileSync(`${at}${entry.name}`)));
          } catch {
            // not a receipt v1 that parses: the memo is never reached
          }
        }
      }
    };
    walk(dir);
    expect(receipts.length).toBeGreaterThan(10);
    const anchors = new CheckedAnchors();
    for (const receipt of receipts) outcome(() => checkReceiptProofs(receipt, hasher, anchors));
    for (const receipt of receipts) {
      expect(outcome(() => checkReceiptProofs(receipt, hasher, anchors))).toEqual(
        outcome(() => checkReceiptProofs(receipt, hasher)),
      );
    }
  });
});
