import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeBase64 } from './base64.js';
import { NoteError, type NoteErrorCode } from './note-error.js';
import {
  formatKeyId,
  formatVerifierKey,
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  NOTE_ALG_ED25519,
  noteKeyId,
  parseSignerKey,
  parseVerifierKey,
  verifierKeyOf,
} from './note-key.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../testdata/notes/${name}`, import.meta.url), 'utf8')) as T;

interface SumdbVectors {
  peterVerifierKey: string;
  peterSignerKey: string;
  enochVerifierKey: string;
  text: string;
  peterSignedNote: string;
  badVerifierKeys: string[];
}
interface FormatsVectors {
  keyPairs: { signerKey: string; verifierKey: string }[];
  plusVerifierKey: string;
  cosignatureVerifierKey: string;
}
interface C2spVectors {
  signedNote: { verifierKey: string; publicKeyHex: string };
}

const sumdb = fixture<SumdbVectors>('sumdb-note.json');
const formats = fixture<FormatsVectors>('transparency-dev-formats.json');
const c2sp = fixture<C2spVectors>('c2sp.json');

function expectCode(fn: () => unknown, code: NoteErrorCode): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NoteError);
    expect((e as NoteError).code).toBe(code);
    return;
  }
  throw new Error(`expected NoteError ${code}`);
}

function expectRejected(fn: () => unknown): void {
  expect(fn).toThrow(NoteError);
}

const seed = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);

describe('verifier keys', () => {
  it('parses the golang.org/x/mod PeterNeumann key and writes it back byte for byte', () => {
    const key = parseVerifierKey(sumdb.peterVerifierKey);
    expect(key.name).toBe('PeterNeumann');
    expect(formatKeyId(key.keyId)).toBe('c74f20a3');
    expect(key.algorithm).toBe(NOTE_ALG_ED25519);
    expect(key.publicKey).toHaveLength(32);
    expect(formatVerifierKey(key)).toBe(sumdb.peterVerifierKey);
  });

  it('parses the C2SP signed-note example key', () => {
    const key = parseVerifierKey(c2sp.signedNote.verifierKey);
    expect(Buffer.from(key.publicKey).toString('hex')).toBe(c2sp.signedNote.publicKeyHex);
    expect(key.keyId).toBe(0x530d903a);
  });

  it('parses a key whose base64 holds a + (split at the first two + only)', () => {
    const key = parseVerifierKey(formats.plusVerifierKey);
    expect(key.name).toBe('TEST');
    expect(formatVerifierKey(key)).toBe(formats.plusVerifierKey);
  });

  it('parses a timestamped-cosignature (0x04) witness key with its 0x04 key id', () => {
    const key = parseVerifierKey(formats.cosignatureVerifierKey);
    expect(key.algorithm).toBe(NOTE_ALG_COSIGNATURE_V1);
    expect(formatKeyId(key.keyId)).toBe('da77ade7');
    expect(noteKeyId(key.name, NOTE_ALG_ED25519, key.publicKey)).not.toBe(key.keyId);
  });

  it('rejects every proper substring and every one-character change of a valid key', () => {
    const vkey = sumdb.peterVerifierKey;
    for (let i = 0; i <= vkey.length; i++) {
      for (let j = i + 1; j <= vkey.length; j++) {
        if (i !== 0 || j !== vkey.length) expectRejected(() => parseVerifierKey(vkey.slice(i, j)));
      }
    }
    for (let i = 0; i < vkey.length; i++) {
      const changed = vkey.slice(0, i) + String.fromCharCode(vkey.charCodeAt(i) + 1) + vkey.slice(i + 1);
      expectRejected(() => parseVerifierKey(changed));
    }
  });

  it('rejects a wrong-length key and an unknown algorithm (with adjusted key ids)', () => {
    const [wrongLength, unknownAlg] = sumdb.badVerifierKeys;
    expectCode(() => parseVerifierKey(wrongLength ?? ''), 'KEY_MALFORMED');
    expectCode(() => parseVerifierKey(unknownAlg ?? ''), 'UNSUPPORTED_ALGORITHM');
  });

  it('rejects a small-order public key (the identity), whose signatures verify for any message', () => {
    const identity = Uint8Array.of(1, ...new Uint8Array(31));
    const name = 'weak.example/log';
    const weak = `${name}+${formatKeyId(noteKeyId(name, NOTE_ALG_ED25519, identity))}+${encodeBase64(Uint8Array.of(1, ...identity))}`;
    expectCode(() => parseVerifierKey(weak), 'KEY_MALFORMED');
  });

  it('rejects a key id in upper case, a wrong key id, and bad names', () => {
    expectCode(
      () => parseVerifierKey(sumdb.peterVerifierKey.replace('c74f20a3', 'C74F20A3')),
      'KEY_MALFORMED',
    );
    expectCode(
      () => parseVerifierKey(sumdb.peterVerifierKey.replace('c74f20a3', 'c74f20a4')),
      'KEY_ID_MISMATCH',
    );
    const material = sumdb.peterVerifierKey.split('+')[2];
    for (const name of [
      '',
      'Peter Neumann',
      'Peter\u00a0Neumann',
      'Peter\tNeumann',
      'Peter\u0001',
      '\ud800',
    ]) {
      expectCode(() => parseVerifierKey(`${name}+c74f20a3+${material}`), 'NAME_INVALID');
    }
  });
});

describe('signer keys', () => {
  it('parses the PeterNeumann signer key into the signer of the published verifier key', () => {
    const signer = parseSignerKey(sumdb.peterSignerKey);
    expect(verifierKeyOf(signer)).toEqual(parseVerifierKey(sumdb.peterVerifierKey));
  });

  it.each(formats.keyPairs)('derives $verifierKey from its signer key', ({ signerKey, verifierKey }) => {
    expect(formatVerifierKey(parseSignerKey(signerKey))).toBe(verifierKey);
  });

  it('rejects every proper substring and every one-character change of a valid signer key', () => {
    const skey = sumdb.peterSignerKey;
    for (let i = 0; i <= skey.length; i++) {
      for (let j = i + 1; j <= skey.length; j++) {
        if (i !== 0 || j !== skey.length) expectRejected(() => parseSignerKey(skey.slice(i, j)));
      }
    }
    for (let i = 0; i < skey.length; i++) {
      const changed = skey.slice(0, i) + String.fromCharCode(skey.charCodeAt(i) + 1) + skey.slice(i + 1);
      expectRejected(() => parseSignerKey(changed));
    }
  });
});

describe('generateNoteKey', () => {
  it('is deterministic in the injected seed and its strings parse back to the same key', () => {
    const a = generateNoteKey('msi.example/calendar', seed(7));
    const b = generateNoteKey('msi.example/calendar', seed(7));
    expect(a.signerKey).toBe(b.signerKey);
    expect(a.verifierKey).toBe(formatVerifierKey(a.signer));
    expect(a.signerKey).toBe(
      `PRIVATE+KEY+msi.example/calendar+${formatKeyId(a.signer.keyId)}+${encodeBase64(Uint8Array.of(1, ...seed(7)))}`,
    );
    expect(verifierKeyOf(parseSignerKey(a.signerKey))).toEqual(parseVerifierKey(a.verifierKey));
    expect(generateNoteKey('msi.example/calendar', seed(8)).verifierKey).not.toBe(a.verifierKey);
  });

  it('makes witness (0x04) keys whose key id differs from the same key as 0x01', () => {
    const witness = generateNoteKey('witness.example/w1', seed(9), NOTE_ALG_COSIGNATURE_V1);
    const plain = generateNoteKey('witness.example/w1', seed(9));
    expect(witness.signer.algorithm).toBe(NOTE_ALG_COSIGNATURE_V1);
    expect(witness.signer.publicKey).toEqual(plain.signer.publicKey);
    expect(witness.signer.keyId).not.toBe(plain.signer.keyId);
    expect(parseVerifierKey(witness.verifierKey).algorithm).toBe(NOTE_ALG_COSIGNATURE_V1);
    expect(parseSignerKey(witness.signerKey).keyId).toBe(witness.signer.keyId);
  });

  it('refuses a seed that is not 32 bytes, a bad name and an unknown algorithm', () => {
    expectCode(() => generateNoteKey('log', new Uint8Array(31)), 'KEY_MALFORMED');
    expectCode(() => generateNoteKey('log', new Uint8Array(33)), 'KEY_MALFORMED');
    expectCode(() => generateNoteKey('a+b', seed(1)), 'NAME_INVALID');
    expectCode(() => generateNoteKey('a b', seed(1)), 'NAME_INVALID');
    expectCode(() => generateNoteKey('log', seed(1), 2 as never), 'UNSUPPORTED_ALGORITHM');
  });

  it('copies the seed, so later changes to the caller buffer do not change the key', () => {
    const buffer = seed(3);
    const { signer } = generateNoteKey('log', buffer);
    const before = signer.sign(Uint8Array.of(1));
    buffer.fill(0);
    expect(signer.sign(Uint8Array.of(1))).toEqual(before);
  });
});
