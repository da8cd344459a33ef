import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  openCheckpoint,
  parseVerifierKey,
  signCheckpoint,
} from '@msi/core';
import { afterAll, describe, expect, it } from 'vitest';
import { testKey } from './fixtures.test-helper.js';
import { loadLogKey } from './signing-key.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('loadLogKey', () => {
  it('parses the configured signer key; the verifier key opens what it signs', async () => {
    const key = testKey('calendar.example/log');
    const loaded = await loadLogKey({
      signingKey: key.signerKey,
      devKeyFile: undefined,
      devKeyName: 'unused',
    });
    expect(loaded).toMatchObject({ verifierKey: key.verifierKey, dev: false });
    const note = signCheckpoint(
      { origin: 'calendar.example/log', size: 1, root: new Uint8Array(32), extensions: [] },
      loaded.signer,
    );
    expect(openCheckpoint(note, [parseVerifierKey(loaded.verifierKey)]).checkpoint.size).toBe(1);
  });

  it('generates a dev key once (mode 0600) and reuses it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msi-calendar-key-'));
    dirs.push(dir);
    const file = join(dir, 'dev.key');
    const source = { signingKey: undefined, devKeyFile: file, devKeyName: 'dev-calendar' };
    const first = await loadLogKey(source);
    const second = await loadLogKey(source);
    expect(first.dev).toBe(true);
    expect(first.signer.name).toBe('dev-calendar');
    expect(second.verifierKey).toBe(first.verifierKey);
    expect((await readFile(file, 'utf8')).startsWith('PRIVATE+KEY+dev-calendar+')).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('refuses a witness (0x04) key as the log key', async () => {
    const witness = generateNoteKey('witness', new Uint8Array(32).fill(9), NOTE_ALG_COSIGNATURE_V1);
    await expect(
      loadLogKey({ signingKey: witness.signerKey, devKeyFile: undefined, devKeyName: 'x' }),
    ).rejects.toMatchObject({
      code: 'KEY_INVALID',
    });
  });
});
