import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeBase64 } from '../note/base64.js';
import { portableEd25519 } from '../note/ed25519.js';
import {
  formatKeyId,
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  type NoteSignature,
  parseSignerKey,
  parseVerifierKey,
  verifierKeyOf,
} from '../note/index.js';
import { formatNote, parseNote } from '../note/signed-note.js';
import { CheckpointError, type CheckpointErrorCode } from './checkpoint-error.js';
import { cosignatureMessage, cosignatureTime, cosignCheckpoint, verifyCosignatures } from './cosignature.js';
import { openCheckpoint, signCheckpoint } from './signed-checkpoint.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../testdata/notes/${name}`, import.meta.url), 'utf8')) as T;

interface MsiVectors {
  log: { verifierKey: string };
  witness: { signerKey: string; verifierKey: string };
  checkpoint: { body: string };
  signedNote: string;
  cosignatureTime: number;
  cosignatureMessage: string;
  cosignedNote: string;
}
interface C2spVectors {
  cosignedCheckpoint: {
    note: string;
    witnessName: string;
    witnessKeyId: string;
    time: number;
    signedMessage: string;
  };
}
interface FormatsVectors {
  cosignatureTimestamp: { signature: string; time: number };
}
const msi = fixture<MsiVectors>('msi-vectors.json');
const c2sp = fixture<C2spVectors>('c2sp.json');
const formats = fixture<FormatsVectors>('transparency-dev-formats.json');

const ed = portableEd25519();
const seed = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);
const log = generateNoteKey('msi.example/calendar', seed(1)).signer;
const w1 = generateNoteKey('witness.example/w1', seed(2), NOTE_ALG_COSIGNATURE_V1).signer;
const w2 = generateNoteKey('witness.example/w2', seed(3), NOTE_ALG_COSIGNATURE_V1).signer;
const signed = signCheckpoint(
  { origin: log.name, size: 9, root: new Uint8Array(32).fill(5), extensions: [] },
  log,
);

function expectCode(fn: () => unknown, code: CheckpointErrorCode): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as CheckpointError).code).toBe(code);
    return;
  }
  throw new Error(`expected CheckpointError ${code}`);
}

const lastSignature = (note: string): NoteSignature => {
  const signature = parseNote(note).signatures.at(-1);
  if (!signature) throw new Error('no signature');
  return signature;
};

describe('known answers', () => {
  it('builds the signed message of the C2SP tlog-cosignature example', () => {
    const body = c2sp.cosignedCheckpoint.note.slice(0, c2sp.cosignedCheckpoint.note.indexOf('\n\n') + 1);
    const message = cosignatureMessage(body, c2sp.cosignedCheckpoint.time);
    expect(new TextDecoder().decode(message)).toBe(c2sp.cosignedCheckpoint.signedMessage);
  });

  it('reads key id and time of the C2SP example cosignature line', () => {
    const line = lastSignature(c2sp.cosignedCheckpoint.note);
    expect(line.name).toBe(c2sp.cosignedCheckpoint.witnessName);
    expect(formatKeyId(line.keyId)).toBe(c2sp.cosignedCheckpoint.witnessKeyId);
    expect(cosignatureTime(line)).toBe(c2sp.cosignedCheckpoint.time);
  });

  it('reads the time of the transparency-dev/formats cosignature vector', () => {
    const raw = Uint8Array.from(Buffer.from(formats.cosignatureTimestamp.signature, 'base64'));
    const signature = { name: 'w', keyId: 0, bytes: raw.subarray(4) };
    expect(cosignatureTime(signature)).toBe(formats.cosignatureTimestamp.time);
  });

  it('cosigns the MSI vector to the exact note of an independent implementation, and verifies it', () => {
    const witness = parseSignerKey(msi.witness.signerKey);
    expect(new TextDecoder().decode(cosignatureMessage(msi.checkpoint.body, msi.cosignatureTime))).toBe(
      msi.cosignatureMessage,
    );
    expect(cosignCheckpoint(msi.signedNote, witness, msi.cosignatureTime)).toBe(msi.cosignedNote);
    const key = parseVerifierKey(msi.witness.verifierKey);
    expect(verifyCosignatures(msi.cosignedNote, [key], ed)).toEqual([
      { name: key.name, keyId: key.keyId, time: msi.cosignatureTime },
    ]);
    expect(
      openCheckpoint(msi.cosignedNote, [parseVerifierKey(msi.log.verifierKey)], ed).signedBy,
    ).toHaveLength(1);
  });
});

describe('cosignCheckpoint and verifyCosignatures', () => {
  it('adds one line per witness, in order, and verifies each with its key', () => {
    const note = cosignCheckpoint(cosignCheckpoint(signed, w1, 100), w2, 200);
    expect(parseNote(note).signatures.map((s) => s.name)).toEqual([log.name, w1.name, w2.name]);
    expect(verifyCosignatures(note, [verifierKeyOf(w2), verifierKeyOf(w1)], ed)).toEqual([
      { name: w1.name, keyId: w1.keyId, time: 100 },
      { name: w2.name, keyId: w2.keyId, time: 200 },
    ]);
    expect(openCheckpoint(note, [log], ed).signedBy).toEqual([log.name]);
  });

  it('replaces an earlier cosignature of the same witness', () => {
    const note = cosignCheckpoint(cosignCheckpoint(signed, w1, 100), w1, 300);
    expect(parseNote(note).signatures).toHaveLength(2);
    expect(verifyCosignatures(note, [w1], ed)).toEqual([{ name: w1.name, keyId: w1.keyId, time: 300 }]);
  });

  it('keeps the earliest time of a witness that has several valid lines (docs/PROOFS.md §7)', () => {
    const later = lastSignature(cosignCheckpoint(signed, w1, 300));
    const earlier = lastSignature(cosignCheckpoint(signed, w1, 100));
    const note = parseNote(signed);
    const text = formatNote({ text: note.text, signatures: [...note.signatures, later, earlier] });
    expect(verifyCosignatures(text, [w1], ed)).toEqual([{ name: w1.name, keyId: w1.keyId, time: 100 }]);
  });

  it('accepts time 0 and 2^53 - 1', () => {
    for (const time of [0, Number.MAX_SAFE_INTEGER]) {
      expect(verifyCosignatures(cosignCheckpoint(signed, w1, time), [w1], ed)[0]?.time).toBe(time);
    }
  });

  it('ignores untrusted witnesses, log keys and lines with a trusted name but another key id', () => {
    const note = cosignCheckpoint(signed, w1, 100);
    expect(verifyCosignatures(note, [w2], ed)).toEqual([]);
    expect(verifyCosignatures(note, [log], ed)).toEqual([]);
    expect(verifyCosignatures(note, [{ ...verifierKeyOf(w1), keyId: (w1.keyId + 1) >>> 0 }], ed)).toEqual([]);
  });

  it('fails on a trusted witness line that does not verify, even if another does', () => {
    const good = cosignCheckpoint(signed, w1, 100);
    const line = lastSignature(good);
    const otherTime = { ...line, bytes: line.bytes.slice() };
    otherTime.bytes[7] = 101; // T claimed 101, signature made for 100
    const note = parseNote(good);
    const withBad = formatNote({ text: note.text, signatures: [...note.signatures, otherTime] });
    expectCode(() => verifyCosignatures(withBad, [w1], ed), 'COSIGNATURE_INVALID');
    const w2Bad = { ...otherTime, name: w2.name, keyId: w2.keyId };
    const mixed = formatNote({ text: note.text, signatures: [...note.signatures, w2Bad] });
    expect(verifyCosignatures(mixed, [w1], ed)).toHaveLength(1);
    expectCode(() => verifyCosignatures(mixed, [w1, w2], ed), 'COSIGNATURE_INVALID');
  });

  it('fails on a trusted line of the wrong shape or with a time above 2^53 - 1', () => {
    const note = parseNote(cosignCheckpoint(signed, w1, 100));
    const line = lastSignature(cosignCheckpoint(signed, w1, 100));
    const shapes = [
      line.bytes.subarray(8), // a plain Ed25519 signature, no time
      line.bytes.subarray(0, 71),
      Uint8Array.of(...line.bytes, 0),
      Uint8Array.of(0x00, 0x20, 0, 0, 0, 0, 0, 0, ...line.bytes.subarray(8)), // T = 2^53
    ];
    for (const bytes of shapes) {
      const text = formatNote({
        text: note.text,
        signatures: [...note.signatures.slice(0, 1), { ...line, bytes }],
      });
      expectCode(() => verifyCosignatures(text, [w1], ed), 'COSIGNATURE_INVALID');
    }
  });

  it('covers extension lines and every byte of the body', () => {
    const withExtension = signCheckpoint(
      { origin: log.name, size: 9, root: new Uint8Array(32).fill(5), extensions: ['ext'] },
      log,
    );
    const cosigned = cosignCheckpoint(withExtension, w1, 100);
    const tampered = `${cosigned.slice(0, cosigned.indexOf('ext\n'))}exu${cosigned.slice(cosigned.indexOf('ext\n') + 3)}`;
    expectCode(() => verifyCosignatures(tampered, [w1], ed), 'COSIGNATURE_INVALID');
    const body = cosigned.slice(0, cosigned.indexOf('\n\n'));
    for (let i = 0; i < body.length; i++) {
      const changed = `${cosigned.slice(0, i)}${cosigned[i] === 'A' ? 'B' : 'A'}${cosigned.slice(i + 1)}`;
      expect(() => verifyCosignatures(changed, [w1], ed), `change at ${i}`).toThrow(CheckpointError);
    }
  });

  it('refuses a non-witness signer, a bad time and a malformed note', () => {
    expectCode(() => cosignCheckpoint(signed, log, 1), 'SIGNER_MISMATCH');
    for (const time of [-1, 1.5, 2 ** 53, Number.NaN]) {
      expectCode(() => cosignCheckpoint(signed, w1, time), 'TIME_OUT_OF_RANGE');
    }
    expectCode(() => cosignCheckpoint(signed.replace('\n9\n', '\n09\n'), w1, 1), 'CHECKPOINT_MALFORMED');
    expectCode(() => cosignCheckpoint(`${signed}garbage`, w1, 1), 'CHECKPOINT_MALFORMED');
    expectCode(() => verifyCosignatures('not a note', [w1], ed), 'CHECKPOINT_MALFORMED');
  });

  it('refuses to add a 101st signature', () => {
    const note = parseNote(signed);
    const full = formatNote({
      text: note.text,
      signatures: Array.from({ length: 100 }, () => note.signatures[0]).filter((s) => s !== undefined),
    });
    expectCode(() => cosignCheckpoint(full, w1, 1), 'CHECKPOINT_MALFORMED');
  });

  it('writes T in decimal without leading zeros in the signed message', () => {
    expect(new TextDecoder().decode(cosignatureMessage('b\n', 7))).toBe('cosignature/v1\ntime 7\nb\n');
    expect(encodeBase64(cosignatureMessage('', 0))).toBe(
      encodeBase64(new TextEncoder().encode('cosignature/v1\ntime 0\n')),
    );
  });
});
