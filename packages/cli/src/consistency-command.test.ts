import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBase64 } from '@msi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliWorld, logKey, ORIGIN, otherLogKey } from './cli-world.test-helper.js';
import { runRecorded } from './memory-io.test-helper.js';

const world = buildCliWorld(5, 1);
let dir: string;
let old2: string;
let new5: string;
let proof: string;

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-cli-consistency-'));
  old2 = await file('old.txt', world.checkpointAt(2));
  new5 = await file('new.txt', world.checkpointAt(5));
  proof = await file('proof.json', JSON.stringify(world.consistency(2, 5).map(encodeBase64)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('msi consistency', () => {
  it('proves a later checkpoint extends an earlier one', async () => {
    const run = await runRecorded(['consistency', old2, new5, '--key', logKey.verifierKey, '--proof', proof]);
    expect(run).toEqual({ status: 0, stdout: `CONSISTENT ${ORIGIN} 2 -> 5\n`, stderr: '' });
  });

  it('reads the proof from standard input and prints JSON', async () => {
    const run = await runRecorded(
      ['consistency', old2, new5, '--key', logKey.verifierKey, '--proof', '-', '--json'],
      { stdin: JSON.stringify(world.consistency(2, 5).map(encodeBase64)) },
    );
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ok: true, origin: ORIGIN, oldSize: 2, newSize: 5 });
  });

  it('catches a forked calendar: a rewritten history signed by the same key', async () => {
    const forked = await file('forked.txt', world.forkedCheckpointAt(5));
    const run = await runRecorded([
      'consistency',
      old2,
      forked,
      '--key',
      logKey.verifierKey,
      '--proof',
      proof,
    ]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^INCONSISTENT CONSISTENCY_PROOF_INVALID: 2 -> 5: ROOT_MISMATCH/);
  });

  it('fails when the checkpoints are swapped (the log shrank)', async () => {
    const run = await runRecorded(['consistency', new5, old2, '--key', logKey.verifierKey, '--proof', proof]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^INCONSISTENT SIZE_DECREASED: /);
  });

  it('fails UNTRUSTED_KEY when a checkpoint is not signed by a trusted key', async () => {
    const foreign = await file('foreign.txt', world.checkpointAt(5, otherLogKey));
    const run = await runRecorded([
      'consistency',
      old2,
      foreign,
      '--key',
      logKey.verifierKey,
      '--proof',
      proof,
    ]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^INCONSISTENT UNTRUSTED_KEY: new checkpoint: /);
  });

  it('fails CHECKPOINT_MALFORMED for a file that is not a checkpoint', async () => {
    const junk = await file('junk.txt', 'hello\n');
    const run = await runRecorded(['consistency', junk, new5, '--key', logKey.verifierKey, '--proof', proof]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^INCONSISTENT CHECKPOINT_MALFORMED: old checkpoint: /);
  });

  it('fails when one proof hash is changed', async () => {
    const hashes = world.consistency(2, 5);
    const first = hashes[0] ?? new Uint8Array(32);
    first[0] = (first[0] ?? 0) ^ 0x80;
    const bad = await file('bad-proof.json', JSON.stringify(hashes.map(encodeBase64)));
    const run = await runRecorded(['consistency', old2, new5, '--key', logKey.verifierKey, '--proof', bad]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^INCONSISTENT CONSISTENCY_PROOF_INVALID: /);
  });

  it.each([
    ['no --proof', () => [old2, new5, '--key', logKey.verifierKey], /--proof FILE\|- is required/],
    [
      'a proof that is not JSON',
      () => [old2, new5, '--key', logKey.verifierKey, '--proof', old2],
      /consistency proof .* is not JSON/,
    ],
    [
      'one checkpoint only',
      () => [old2, '--key', logKey.verifierKey, '--proof', proof],
      /takes <old-checkpoint> <new-checkpoint>, got 1/,
    ],
    ['no key', () => [old2, new5, '--proof', proof], /no trusted log key/],
  ])('exits 2 naming the problem for %s', async (_, args, message) => {
    const run = await runRecorded(['consistency', ...args()]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('exits 2 when a proof element is not a 32-byte hash', async () => {
    const bad = await file('short.json', JSON.stringify(['AAAA']));
    const run = await runRecorded(['consistency', old2, new5, '--key', logKey.verifierKey, '--proof', bad]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/the proof\[0\] is not the canonical base64 of a 32-byte hash/);
  });
});
