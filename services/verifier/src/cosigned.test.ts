import {
  cosignCheckpoint,
  defaultEd25519,
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  parseCheckpointNote,
  signCheckpoint,
  verifierKeyOf,
} from '@msi/core';
import { describe, expect, it } from 'vitest';
import { checkCosigned } from './cosigned.js';

const seed = (b: number) => new Uint8Array(32).fill(b);
const log = generateNoteKey('calendar.test/log', seed(1)).signer;
const w1 = generateNoteKey('w1.test', seed(2), NOTE_ALG_COSIGNATURE_V1).signer;
const w2 = generateNoteKey('w2.test', seed(3), NOTE_ALG_COSIGNATURE_V1).signer;
const ed = defaultEd25519();
const checkpoint = (root: number) => ({
  origin: log.name,
  size: 5,
  root: new Uint8Array(32).fill(root),
  extensions: [],
});
const verified = signCheckpoint(checkpoint(7), log);
const both = cosignCheckpoint(cosignCheckpoint(verified, w1, 1_700_000_000), w2, 1_700_000_001);
const logKey = verifierKeyOf(log);

describe('checkCosigned', () => {
  it('keeps a note with the verified body and counts the lines other than the log', () => {
    const result = checkCosigned(5, both, verified, logKey, [], ed);
    expect(result).toEqual({ ok: true, value: { size: 5, note: both, cosignatureCount: 2, dropped: 0 } });
  });

  it('reports a different body of the same size as a fork', () => {
    const forked = cosignCheckpoint(signCheckpoint(checkpoint(8), log), w1, 1);
    const result = checkCosigned(5, forked, verified, logKey, [], ed);
    expect(result.ok).toBe(false);
    if (!result.ok) expect('fork' in result && result.fork).toBe(true);
  });

  it('refuses a note of another size, a size never verified, a bad log signature and garbage', () => {
    expect(checkCosigned(6, both, verified, logKey, [], ed).ok).toBe(false);
    expect(checkCosigned(5, both, undefined, logKey, [], ed).ok).toBe(false);
    const other = generateNoteKey('calendar.test/log', seed(9)).signer;
    expect(checkCosigned(5, both, verified, verifierKeyOf(other), [], ed).ok).toBe(false);
    expect(checkCosigned(5, 'not a note', verified, logKey, [], ed).ok).toBe(false);
  });

  it('drops lines of configured witnesses that do not verify and keeps unknown ones', () => {
    // A w1 line over another body, spliced onto the verified body: it does not verify.
    const foreign = parseCheckpointNote(cosignCheckpoint(signCheckpoint(checkpoint(9), log), w1, 5));
    const bad = foreign.note.signatures.at(-1);
    expect(bad).toBeDefined();
    if (bad === undefined) return;
    const parsed = parseCheckpointNote(cosignCheckpoint(verified, w2, 3)).note;
    const text =
      `${parsed.text}\n` +
      [...parsed.signatures, bad]
        .map((s) => {
          const raw = new Uint8Array(4 + s.bytes.length);
          new DataView(raw.buffer).setUint32(0, s.keyId);
          raw.set(s.bytes, 4);
          return `\u2014 ${s.name} ${Buffer.from(raw).toString('base64')}\n`;
        })
        .join('');
    const result = checkCosigned(5, text, verified, logKey, [verifierKeyOf(w1)], ed);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.dropped).toBe(1);
    expect(result.value.cosignatureCount).toBe(1);
    expect(result.value.note).toBe(cosignCheckpoint(verified, w2, 3));
    // Without witness keys configured, the line is kept for auditors to judge.
    const kept = checkCosigned(5, text, verified, logKey, [], ed);
    expect(kept.ok && kept.value.cosignatureCount).toBe(2);
  });
});
