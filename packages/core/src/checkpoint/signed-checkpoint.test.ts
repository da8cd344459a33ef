import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBase64 } from '../note/base64.js';
import { portableEd25519 } from '../note/ed25519.js';
import {
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  type NoteSigner,
  parseSignerKey,
  parseVerifierKey,
  verifierKeyOf,
} from '../note/note-key.js';
import { signNote } from '../note/signed-note.js';
import type { Checkpoint } from './checkpoint-body.js';
import { CheckpointError, type CheckpointErrorCode } from './checkpoint-error.js';
import { cosignCheckpoint, verifyCosignatures } from './cosignature.js';
import { openCheckpoint, parseCheckpointNote, signCheckpoint } from './signed-checkpoint.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../testdata/notes/${name}`, import.meta.url), 'utf8')) as T;

interface MsiVectors {
  log: { signerKey: string; verifierKey: string };
  witness: { signerKey: string; verifierKey: string };
  checkpoint: { origin: string; size: number; root: string; body: string };
  signedNote: string;
  cosignedNote: string;
}
const msi = fixture<MsiVectors>('msi-vectors.json');
const c2sp = fixture<{
  checkpoint: { note: string; origin: string; size: number; root: string; logKeyId: string };
}>('c2sp.json');
const formats = fixture<{ sumdb: { verifierKey: string; note: string } }>('transparency-dev-formats.json');

const ed = portableEd25519();
const ORIGIN = 'msi.example/calendar';
const seed = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);
const log = generateNoteKey(ORIGIN, seed(1)).signer;
const rotated = generateNoteKey(ORIGIN, seed(2)).signer;
const stranger = generateNoteKey('other.example/log', seed(3)).signer;
const witness = generateNoteKey('witness.example/w1', seed(4), NOTE_ALG_COSIGNATURE_V1).signer;
const checkpoint: Checkpoint = { origin: ORIGIN, size: 42, root: new Uint8Array(32).fill(7), extensions: [] };
const signed = signCheckpoint(checkpoint, log);
const body = signed.slice(0, signed.indexOf('\n\n') + 1);
const logLine = signed.slice(body.length + 1);

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

describe('known answers', () => {
  it('signs the MSI vector checkpoint to the exact note of an independent implementation', () => {
    const { origin, size, root } = msi.checkpoint;
    const cp = { origin, size, root: Uint8Array.from(Buffer.from(root, 'base64')), extensions: [] };
    expect(signCheckpoint(cp, parseSignerKey(msi.log.signerKey))).toBe(msi.signedNote);
    const opened = openCheckpoint(msi.signedNote, [parseVerifierKey(msi.log.verifierKey)], ed);
    expect(opened).toEqual({ checkpoint: cp, signedBy: [origin] });
  });

  it('parses the C2SP tlog-checkpoint example (its key is not public: no trusted key signed it)', () => {
    const { note, checkpoint: cp } = parseCheckpointNote(c2sp.checkpoint.note);
    expect(cp.origin).toBe(c2sp.checkpoint.origin);
    expect(cp.size).toBe(c2sp.checkpoint.size);
    expect(encodeBase64(cp.root)).toBe(c2sp.checkpoint.root);
    expect(note.signatures[0]?.keyId.toString(16)).toBe(c2sp.checkpoint.logKeyId.replace(/^0+/, ''));
    expectCode(() => openCheckpoint(c2sp.checkpoint.note, [log], ed), 'UNTRUSTED_KEY');
  });

  it('refuses the real sum.golang.org tree head: validly signed, but its origin has spaces', () => {
    expectCode(
      () => openCheckpoint(formats.sumdb.note, [parseVerifierKey(formats.sumdb.verifierKey)], ed),
      'CHECKPOINT_MALFORMED',
    );
  });
});

describe('openCheckpoint', () => {
  it('opens a checkpoint signed by a trusted log key', () => {
    expect(openCheckpoint(signed, [verifierKeyOf(log)], ed)).toEqual({ checkpoint, signedBy: [ORIGIN] });
    expect(openCheckpoint(new TextEncoder().encode(signed), [log]).checkpoint).toEqual(checkpoint);
  });

  it('ignores lines of untrusted keys, and of trusted keys with another key id', () => {
    const note = signNote(body, [stranger, log, rotated]);
    expect(openCheckpoint(note, [log], ed).signedBy).toEqual([ORIGIN]);
    const lookalike = { ...verifierKeyOf(log), keyId: (log.keyId + 1) >>> 0 };
    expectCode(() => openCheckpoint(note, [lookalike], ed), 'UNTRUSTED_KEY');
  });

  // A well-formed line of `signer` whose signature is over another text: it cannot verify here.
  const wrongLine = (signer: NoteSigner): string =>
    signNote('another text\n', [signer]).split('\n\n')[1] ?? '';

  it('fails on a bad line of a trusted key even if another trusted line verifies', () => {
    const note = `${signed}${wrongLine(rotated)}`;
    expect(openCheckpoint(note, [log], ed).signedBy).toEqual([ORIGIN]);
    expectCode(() => openCheckpoint(note, [log, rotated], ed), 'SIGNATURE_INVALID');
    expectCode(
      () => openCheckpoint(`${body}\n${wrongLine(rotated)}${logLine}`, [log, rotated], ed),
      'SIGNATURE_INVALID',
    );
  });

  it('checks every line of a trusted key, not only the first', () => {
    expectCode(() => openCheckpoint(`${signed}${wrongLine(log)}`, [log], ed), 'SIGNATURE_INVALID');
  });

  it('needs a verified key named after the origin', () => {
    expectCode(() => openCheckpoint(signed, [], ed), 'UNTRUSTED_KEY');
    const foreign = signNote(body, [stranger]);
    expectCode(() => openCheckpoint(foreign, [stranger], ed), 'UNTRUSTED_KEY');
    expect(openCheckpoint(signNote(body, [stranger, log]), [stranger, log], ed).signedBy).toEqual([
      'other.example/log',
      ORIGIN,
    ]);
  });

  it('ignores witness (0x04) keys given as log keys', () => {
    const cosigned = cosignCheckpoint(signed, witness, 1_700_000_000);
    expect(openCheckpoint(cosigned, [log, witness], ed).signedBy).toEqual([ORIGIN]);
  });

  const lines = signed.split('\n');
  it.each([
    ['a carriage return', signed.replace(`${ORIGIN}\n`, `${ORIGIN}\r\n`)],
    ['no final newline', signed.slice(0, -1)],
    ['no blank line', signed.replace('\n\n', '\n')],
    ['duplicate blank lines', signed.replace('\n\n', '\n\n\n')],
    ['a blank line inside the body', signed.replace(`${ORIGIN}\n`, `${ORIGIN}\n\n`)],
    ['bad base64 in the signature', signed.replace(`\u2014 ${ORIGIN} `, `\u2014 ${ORIGIN} !!!!`)],
    ['a size with a leading zero', signed.replace('\n42\n', '\n042\n')],
    ['a root of 31 bytes', signed.replace(lines[2] ?? '', encodeBase64(new Uint8Array(31)))],
    ['101 signatures', `${body}\n${logLine.repeat(101)}`],
    ['a control character', signed.replace('42', '4\u00002')],
    ['an origin with a space', signNote(`msi example\n1\n${lines[2]}\n`, [log])],
    ['no signature', `${body}\n`],
  ])('rejects %s as CHECKPOINT_MALFORMED', (_, note) => {
    expectCode(() => openCheckpoint(note, [log], ed), 'CHECKPOINT_MALFORMED');
  });

  it('accepts 100 signatures', () => {
    expect(openCheckpoint(`${body}\n${logLine.repeat(100)}`, [log], ed).signedBy).toEqual([ORIGIN]);
  });

  it('fails when any character changes (body, blank line, signature line, final newline)', () => {
    for (let i = 0; i < signed.length; i++) {
      const replacement = signed[i] === 'A' ? 'B' : 'A';
      const tampered = signed.slice(0, i) + replacement + signed.slice(i + 1);
      expect(() => openCheckpoint(tampered, [log], ed), `change at ${i}`).toThrow(CheckpointError);
    }
  });
});

describe('signCheckpoint', () => {
  it('refuses a key not named after the origin and a witness key', () => {
    expectCode(() => signCheckpoint(checkpoint, stranger), 'SIGNER_MISMATCH');
    const witnessForOrigin = generateNoteKey(ORIGIN, seed(5), NOTE_ALG_COSIGNATURE_V1).signer;
    expectCode(() => signCheckpoint(checkpoint, witnessForOrigin), 'SIGNER_MISMATCH');
  });

  it('refuses a malformed checkpoint', () => {
    expectCode(
      () => signCheckpoint({ ...checkpoint, root: new Uint8Array(31) }, log),
      'CHECKPOINT_MALFORMED',
    );
  });
});

describe('any single-byte mutation is caught', () => {
  const utf8 = new TextEncoder().encode(signed);
  const cosigned = new TextEncoder().encode(
    cosignCheckpoint(
      cosignCheckpoint(signed, witness, 1_700_000_000),
      generateNoteKey('w2', seed(6), 4).signer,
      5,
    ),
  );
  const witnesses = [witness, generateNoteKey('w2', seed(6), 4).signer];
  const mutate = (bytes: Uint8Array, at: number, delta: number): Uint8Array => {
    const out = bytes.slice();
    const i = at % out.length;
    out[i] = ((out[i] ?? 0) + delta) % 256;
    return out;
  };

  it('a log-signed checkpoint: openCheckpoint always throws a CheckpointError', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        expect(() => openCheckpoint(mutate(utf8, at, delta), [log], ed)).toThrow(CheckpointError);
      }),
      { numRuns: 300 },
    );
  });

  it('a cosigned checkpoint: never verifies fully with every key trusted', () => {
    const fullyVerifies = (bytes: Uint8Array): boolean => {
      try {
        openCheckpoint(bytes, [log], ed);
        return verifyCosignatures(bytes, witnesses, ed).length === witnesses.length;
      } catch (e) {
        expect(e).toBeInstanceOf(CheckpointError);
        return false;
      }
    };
    expect(fullyVerifies(cosigned)).toBe(true);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        expect(fullyVerifies(mutate(cosigned, at, delta))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
