import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { portableEd25519 } from './ed25519.js';
import { MAX_NOTE_SIGNATURES, NoteError } from './note-error.js';
import { generateNoteKey, NOTE_ALG_COSIGNATURE_V1, parseSignerKey, parseVerifierKey } from './note-key.js';
import {
  addNoteSignature,
  formatNote,
  parseNote,
  signNote,
  signNoteText,
  verifyNoteSignature,
} from './signed-note.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../testdata/notes/${name}`, import.meta.url), 'utf8')) as T;

interface SumdbVectors {
  peterVerifierKey: string;
  peterSignerKey: string;
  enochVerifierKey: string;
  text: string;
  peterSignedNote: string;
  doublySignedNote: string;
  malformedNotes: string[];
  malformedNoteWithInvalidUtf8Hex: string;
}
interface FormatsVectors {
  sumdb: {
    verifierKey: string;
    body: string;
    note: string;
    extraVerifierKeys: string[];
    extraSignatureLines: string[];
  };
}
interface C2spVectors {
  signedNote: { verifierKey: string; note: string };
}

const sumdb = fixture<SumdbVectors>('sumdb-note.json');
const formats = fixture<FormatsVectors>('transparency-dev-formats.json');
const c2sp = fixture<C2spVectors>('c2sp.json');
const ed = portableEd25519();
const peterKey = parseVerifierKey(sumdb.peterVerifierKey);
const peterLine = sumdb.peterSignedNote.slice(sumdb.text.length + 1);

function expectMalformed(input: string | Uint8Array): void {
  try {
    parseNote(input);
  } catch (e) {
    expect(e).toBeInstanceOf(NoteError);
    expect((e as NoteError).code).toBe('NOTE_MALFORMED');
    return;
  }
  throw new Error(`parsed a malformed note: ${JSON.stringify(input)}`);
}

describe('signNote (known answers)', () => {
  it('signs the golang.org/x/mod example text to the exact published note', () => {
    expect(signNote(sumdb.text, [parseSignerKey(sumdb.peterSignerKey)])).toBe(sumdb.peterSignedNote);
  });
});

describe('parseNote and verifyNoteSignature (known answers)', () => {
  it('opens the golang.org/x/mod example note', () => {
    const note = parseNote(sumdb.peterSignedNote);
    expect(note.text).toBe(sumdb.text);
    expect(note.signatures).toHaveLength(1);
    const [sig] = note.signatures;
    expect(sig?.name).toBe('PeterNeumann');
    expect(sig?.keyId).toBe(0xc74f20a3);
    expect(sig && verifyNoteSignature(note.text, sig, peterKey, ed)).toBe(true);
  });

  it('verifies both lines of the doubly signed example, each with its own key only', () => {
    const note = parseNote(sumdb.doublySignedNote);
    const enochKey = parseVerifierKey(sumdb.enochVerifierKey);
    const [peter, enoch] = note.signatures;
    if (!peter || !enoch) throw new Error('two signatures expected');
    expect(verifyNoteSignature(note.text, peter, peterKey, ed)).toBe(true);
    expect(verifyNoteSignature(note.text, enoch, enochKey, ed)).toBe(true);
    expect(verifyNoteSignature(note.text, enoch, peterKey, ed)).toBe(false);
    expect(
      verifyNoteSignature(note.text, { ...enoch, name: 'PeterNeumann', keyId: peter.keyId }, peterKey, ed),
    ).toBe(false);
  });

  it('verifies the C2SP signed-note example', () => {
    const note = parseNote(c2sp.signedNote.note);
    const key = parseVerifierKey(c2sp.signedNote.verifierKey);
    expect(note.text).toBe('This is an example message.\n');
    expect(note.signatures.every((s) => verifyNoteSignature(note.text, s, key, ed))).toBe(true);
  });

  it('verifies a real sum.golang.org tree head carrying four signatures', () => {
    const text = formats.sumdb.note + formats.sumdb.extraSignatureLines.join('');
    const note = parseNote(new TextEncoder().encode(text));
    const keys = [formats.sumdb.verifierKey, ...formats.sumdb.extraVerifierKeys].map(parseVerifierKey);
    expect(note.text).toBe(formats.sumdb.body);
    expect(note.signatures.map((s, i) => keys[i] && verifyNoteSignature(note.text, s, keys[i], ed))).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('fails when any byte of the text changes', () => {
    const note = parseNote(sumdb.peterSignedNote);
    const [sig] = note.signatures;
    if (!sig) throw new Error('signature expected');
    for (let i = 0; i < note.text.length - 1; i++) {
      const text = `${note.text.slice(0, i)}${note.text[i] === 'x' ? 'y' : 'x'}${note.text.slice(i + 1)}`;
      expect(verifyNoteSignature(text, sig, peterKey, ed)).toBe(false);
    }
  });
});

describe('parseNote rejects malformed notes', () => {
  it.each(sumdb.malformedNotes.map((n, i) => [i, n] as const))(
    'golang.org/x/mod bad message #%i',
    (_, note) => {
      expectMalformed(note);
    },
  );

  it('rejects invalid UTF-8 and lone surrogates', () => {
    expectMalformed(Buffer.from(sumdb.malformedNoteWithInvalidUtf8Hex, 'hex'));
    expectMalformed(`\ud800${sumdb.peterSignedNote}`);
  });

  const good = sumdb.peterSignedNote;
  it.each([
    ['a carriage return in the text', good.replace('problem,\n', 'problem,\r\n')],
    ['CRLF line endings', good.replaceAll('\n', '\r\n')],
    ['a CR at the end', `${good}\r`],
    ['a tab', good.replace(' you ', '\tyou ')],
    ['a NUL', good.replace('then', 'th\u0000en')],
    ['no final newline', good.slice(0, -1)],
    ['a trailing empty line', `${good}\n`],
    ['no blank line', good.replace('\n\n', '\n')],
    ['no signature', `${sumdb.text}\n`],
    ['ASCII dashes for the em dash', good.replace('\u2014 ', '-- ')],
    ['an en dash', good.replace('\u2014', '\u2013')],
    ['no space after the dash', good.replace('\u2014 ', '\u2014')],
    ['two spaces after the name', good.replace('PeterNeumann ', 'PeterNeumann  ')],
    ['a + in the name', good.replace('PeterNeumann', 'Peter+Neumann')],
    ['a no-break space in the name', good.replace('PeterNeumann', 'Peter\u00a0Neumann')],
    ['an empty name', good.replace('\u2014 PeterNeumann ', '\u2014  ')],
    ['no signature text', good.replace(/ x08go.*=/, ' ')],
    ['bad base64', good.replace('x08go', 'x08g!')],
    ['base64 without padding', good.replace('AM=\n', 'AM\n')],
    ['base64 with non-zero unused bits', good.replace('nAM=\n', 'nAN=\n')],
    ['a signature of 4 bytes', good.replace(/ x08go.*=/, ' x08gow==')],
    ['a line after the signatures', `${good}garbage\n`],
  ])('rejects %s', (_, note) => {
    expectMalformed(note);
  });

  it('accepts 100 signature lines and rejects 101', () => {
    expect(parseNote(`${sumdb.text}\n${peterLine.repeat(MAX_NOTE_SIGNATURES)}`).signatures).toHaveLength(100);
    expectMalformed(`${sumdb.text}\n${peterLine.repeat(MAX_NOTE_SIGNATURES + 1)}`);
  });

  it('splits at the last blank line, so a text may hold empty lines (C2SP signed-note)', () => {
    const note = parseNote(`a\n\nb\n\n\n${peterLine}`);
    expect(note.text).toBe('a\n\nb\n\n');
  });

  it('throws only NoteError on arbitrary input', () => {
    const alphabet = fc.constantFrom('\n', '\u2014', ' ', 'a', '+', '=', 'A', '\r', '\u00a0');
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: alphabet, maxLength: 60 }), fc.uint8Array({ maxLength: 60 })),
        (input) => {
          try {
            parseNote(input);
          } catch (e) {
            expect(e).toBeInstanceOf(NoteError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('formatNote, addNoteSignature', () => {
  const signer = generateNoteKey('msi.example/log', new Uint8Array(32).fill(1)).signer;
  const other = generateNoteKey('msi.example/other', new Uint8Array(32).fill(2)).signer;

  it('round-trips parse and format', () => {
    for (const text of [sumdb.peterSignedNote, sumdb.doublySignedNote, c2sp.signedNote.note]) {
      expect(formatNote(parseNote(text))).toBe(text);
    }
  });

  it('adds a signature last and replaces one of the same name and key id', () => {
    const text = 'hello\n';
    const once = addNoteSignature({ text, signatures: [] }, signNoteText(text, signer));
    const twice = addNoteSignature(once, signNoteText(text, other));
    const again = addNoteSignature(twice, {
      ...signNoteText(text, signer),
      bytes: new Uint8Array(64).fill(9),
    });
    expect(twice.signatures.map((s) => s.name)).toEqual(['msi.example/log', 'msi.example/other']);
    expect(again.signatures.map((s) => s.name)).toEqual(['msi.example/other', 'msi.example/log']);
    expect(parseNote(formatNote(twice))).toEqual(twice);
  });

  it('refuses to format what would not parse back', () => {
    const sig = signNoteText('x\n', signer);
    for (const note of [
      { text: 'no newline', signatures: [sig] },
      { text: 'a\rb\n', signatures: [sig] },
      { text: 'x\n', signatures: [] },
      { text: 'x\n', signatures: Array.from({ length: 101 }, () => sig) },
      { text: 'x\n', signatures: [{ ...sig, name: 'a b' }] },
      { text: 'x\n', signatures: [{ ...sig, keyId: 2 ** 32 }] },
      { text: 'x\n', signatures: [{ ...sig, bytes: new Uint8Array(0) }] },
    ]) {
      expect(() => formatNote(note)).toThrow(NoteError);
    }
  });

  it('refuses to sign a note text with a witness (0x04) key', () => {
    const witness = generateNoteKey('w', new Uint8Array(32).fill(3), NOTE_ALG_COSIGNATURE_V1).signer;
    expect(() => signNoteText('x\n', witness)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_ALGORITHM' }),
    );
  });
});
