import {
  cosignCheckpoint,
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  parseVerifierKey,
  signCheckpoint,
} from '@msi/core';
import { describe, expect, it } from 'vitest';
import { witnessHeadsOf, witnessLinesOf } from './witness-lines.js';

const seed = (b: number) => new Uint8Array(32).fill(b);
const log = generateNoteKey('calendar.test/log', seed(1));
const w1 = generateNoteKey('w1.test', seed(2), NOTE_ALG_COSIGNATURE_V1);
const w2 = generateNoteKey('w2.test', seed(3), NOTE_ALG_COSIGNATURE_V1);
const other = generateNoteKey('other.test/log', seed(4));
const checkpoint = { origin: log.signer.name, size: 5, root: new Uint8Array(32).fill(7), extensions: [] };

describe('witnessLinesOf', () => {
  it('lists the cosignature lines with their time T, not the calendar line nor Ed25519 lines', () => {
    const signed = signCheckpoint(checkpoint, log.signer);
    const note = cosignCheckpoint(
      cosignCheckpoint(signed, w1.signer, 1_700_000_100),
      w2.signer,
      1_700_000_200,
    );
    expect(witnessLinesOf(note, parseVerifierKey(log.verifierKey))).toEqual([
      { name: 'w1.test', keyId: w1.signer.keyId, time: 1_700_000_100 },
      { name: 'w2.test', keyId: w2.signer.keyId, time: 1_700_000_200 },
    ]);
    // A second Ed25519 line (another log key) has no time: skipped.
    const twoLogs = signCheckpoint(checkpoint, log.signer);
    expect(witnessLinesOf(twoLogs, parseVerifierKey(other.verifierKey))).toEqual([]);
  });
});

describe('witnessHeadsOf', () => {
  it('keeps per witness the largest size, at the earliest time for that size', () => {
    const line = (name: string, keyId: number, time: number) => ({ name, keyId, time });
    const heads = witnessHeadsOf([
      { size: 5, lines: [line('w2', 2, 50), line('w1', 1, 51)] },
      { size: 9, lines: [line('w1', 1, 90)] },
      { size: 9, lines: [line('w1', 1, 89)] },
      { size: 3, lines: [line('w2', 2, 30), line('w1', 3, 31)] },
    ]);
    expect(heads).toEqual([
      { name: 'w1', keyId: 1, time: 89, size: 9 },
      { name: 'w1', keyId: 3, time: 31, size: 3 },
      { name: 'w2', keyId: 2, time: 50, size: 5 },
    ]);
  });
});
