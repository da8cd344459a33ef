import { cosignCheckpoint, generateNoteKey, NOTE_ALG_COSIGNATURE_V1, signCheckpoint } from '@msi/core';
import { describe, expect, it } from 'vitest';
import { testKey } from './fixtures.test-helper.js';
import { isCosignatureOf, judgeWitnessAnswer } from './witness-answer.js';
import { parseWitnessList, type WitnessTarget } from './witness-list.js';

const log = testKey('answer.test/log', 3);
const witnessKey = generateNoteKey('answer.witness', new Uint8Array(32).fill(4), NOTE_ALG_COSIGNATURE_V1);
const otherKey = generateNoteKey('other.witness', new Uint8Array(32).fill(5), NOTE_ALG_COSIGNATURE_V1);
const [witness] = parseWitnessList(`http://127.0.0.1:1=${witnessKey.verifierKey}`).witnesses as [
  WitnessTarget,
];
const note = signCheckpoint(
  { origin: log.signer.name, size: 5, root: new Uint8Array(32).fill(9), extensions: [] },
  log.signer,
);

/** The cosignature line `key` would return for `text` at `time`. */
function lineOf(text: string, key = witnessKey, time = 1_700_000_000): string {
  const cosigned = cosignCheckpoint(text, key.signer, time);
  return cosigned.slice(cosigned.lastIndexOf('\n', cosigned.length - 2) + 1);
}

describe('judgeWitnessAnswer', () => {
  it('keeps the valid line of this witness and reports the others as invalid', () => {
    const good = lineOf(note);
    const otherNote = signCheckpoint(
      { origin: log.signer.name, size: 6, root: new Uint8Array(32).fill(1), extensions: [] },
      log.signer,
    );
    const forOtherCheckpoint = lineOf(otherNote);
    const ofOtherWitness = lineOf(note, otherKey);
    const step = judgeWitnessAnswer(
      { kind: 'cosigned', status: 200, cosignatures: forOtherCheckpoint + good + ofOtherWitness },
      note,
      witness,
    );
    expect(step).toEqual({ kind: 'cosigned', lines: [good], invalid: [forOtherCheckpoint, ofOtherWitness] });
    expect(isCosignatureOf(note, good, witness)).toBe(true);
    expect(isCosignatureOf(note, forOtherCheckpoint, witness)).toBe(false);
  });

  it('fails a 200 without one valid line (nothing to store)', () => {
    const step = judgeWitnessAnswer(
      { kind: 'cosigned', status: 200, cosignatures: lineOf(note, otherKey) },
      note,
      witness,
    );
    expect(step.kind).toBe('failed');
  });

  it('maps 409 to a resync, 422 and 403 to refusals, the rest to failures', () => {
    expect(judgeWitnessAnswer({ kind: 'conflict', status: 409, currentSize: 3 }, note, witness)).toEqual({
      kind: 'resync',
      size: 3,
    });
    for (const status of [422, 403]) {
      expect(judgeWitnessAnswer({ kind: 'refused', status, message: 'no' }, note, witness)).toEqual({
        kind: 'refused',
        status,
        message: 'no',
      });
    }
    for (const status of [400, 404, 500, 503]) {
      expect(judgeWitnessAnswer({ kind: 'refused', status, message: 'x' }, note, witness).kind).toBe(
        'failed',
      );
    }
  });
});
