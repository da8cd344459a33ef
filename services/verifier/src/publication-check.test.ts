import {
  cosignCheckpoint,
  defaultEd25519,
  formatPublication,
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  parseVerifierKey,
  signCheckpoint,
} from '@msi/core';
import { describe, expect, it } from 'vitest';
import { checkPublication, readPublication } from './publication-check.js';

const seed = (b: number) => new Uint8Array(32).fill(b);
const log = generateNoteKey('calendar.test/log', seed(1));
const w1 = generateNoteKey('w1.test', seed(2), NOTE_ALG_COSIGNATURE_V1);
const checkpoint = (root: number) => ({
  origin: log.signer.name,
  size: 5,
  root: new Uint8Array(32).fill(root),
  extensions: [],
});
const verified = signCheckpoint(checkpoint(7), log.signer);
const cosigned = cosignCheckpoint(verified, w1.signer, 1_700_000_100);
const keys = {
  calendarKey: parseVerifierKey(log.verifierKey),
  witnessKeys: [parseVerifierKey(w1.verifierKey)],
  ed25519: defaultEd25519(),
};

function check(text: string, verifiedNote: string | null = verified) {
  const read = readPublication(text);
  if (!read.ok) return read;
  return checkPublication(read.value, text, verifiedNote ?? undefined, keys);
}

describe('checkPublication', () => {
  it('keeps a publication of the verified checkpoint, as published', () => {
    const text = formatPublication(1_700_000_200, cosigned);
    expect(check(text)).toEqual({ ok: true, value: { time: 1_700_000_200, size: 5, text } });
  });

  it('refuses a text that is not publication v1', () => {
    const result = check(
      `MSI publication v2\n${formatPublication(1, verified).split('\n').slice(1).join('\n')}`,
    );
    expect(result).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^publication: UNSUPPORTED_VERSION/),
    });
  });

  it('refuses a fork, an unverified size, another signer and a bad witness line', () => {
    const fork = formatPublication(1, signCheckpoint(checkpoint(8), log.signer));
    expect(check(fork)).toMatchObject({ ok: false, detail: expect.stringMatching(/fork/) });
    expect(check(formatPublication(1, verified), null)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/no verified checkpoint of size 5/),
    });
    const impostor = generateNoteKey(log.signer.name, seed(9));
    expect(check(formatPublication(1, signCheckpoint(checkpoint(7), impostor.signer)))).toMatchObject({
      ok: false,
    });
    // w1's line over another time than it signed: it does not verify, and cannot be dropped.
    const forged = cosigned.replace(/— w1\.test (\S+)/, (_, b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[11] = (bytes[11] ?? 0) ^ 1;
      return `— w1.test ${bytes.toString('base64')}`;
    });
    expect(forged).not.toBe(cosigned);
    expect(check(formatPublication(1, forged))).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/1 cosignature line\(s\) of configured witnesses do not verify/),
    });
  });
});
