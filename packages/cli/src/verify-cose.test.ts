import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  coseReceiptOf,
  formatImprint,
  formatUuid,
  parseCheckpointNote,
  receiptToJson,
  signCoseTreeHead,
} from '@msi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliWorld, logKey, ORIGIN, otherLogKey, witnessA, worldEvent } from './cli-world.test-helper.js';
import { formatMicros } from './format-time.js';
import { runRecorded } from './memory-io.test-helper.js';

const world = buildCliWorld(3, 3);
let dir: string;
let coseFile: string;
let cose: Uint8Array;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-cli-verify-cose-'));
  const receipt = world.receipt(4);
  const treeHead = signCoseTreeHead(logKey.signer, parseCheckpointNote(receipt.checkpoint).checkpoint);
  cose = coseReceiptOf(receipt, treeHead);
  coseFile = join(dir, 'receipt.cose');
  await writeFile(coseFile, cose);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('msi verify of a COSE receipt (docs/PROOFS.md §16)', () => {
  it('prints one VALID line with what it proves, with the log key alone', async () => {
    const run = await runRecorded(['verify', coseFile, '--key', logKey.verifierKey]);
    const event = worldEvent(4);
    expect(run.stdout).toBe(
      `VALID event ${formatUuid(event.eventId)}  STORE acme ${formatImprint(event.data)}` +
        `  round 1 closed ${formatMicros(world.closedAt(1))}  COSE receipt ${ORIGIN}@3\n`,
    );
    expect(run.status).toBe(0);
    const json = await runRecorded(['verify', coseFile, '--key', logKey.verifierKey, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, format: 'scitt', round: 1, logKeys: [ORIGIN] });
  });

  it('prints INVALID with the code of the failed step and exits 1', async () => {
    const flipped = cose.slice();
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    const path = join(dir, 'flipped.cose');
    await writeFile(path, flipped);
    const bad = await runRecorded(['verify', path, '--key', logKey.verifierKey]);
    expect([bad.status, bad.stdout]).toEqual([1, expect.stringMatching(/^INVALID SIGNATURE_INVALID: /)]);
    const other = await runRecorded(['verify', coseFile, '--key', otherLogKey.verifierKey]);
    expect([other.status, other.stdout]).toEqual([1, expect.stringMatching(/^INVALID UNTRUSTED_KEY: /)]);
  });

  it('fails a quorum of witnesses (a COSE receipt carries no cosignature) and refuses --publication', async () => {
    const quorum = await runRecorded([
      'verify',
      coseFile,
      '--key',
      logKey.verifierKey,
      '--witness',
      witnessA.verifierKey,
      '--quorum',
      '1',
    ]);
    expect([quorum.status, quorum.stdout]).toEqual([1, expect.stringMatching(/^INVALID QUORUM_NOT_MET: /)]);
    const publication = await runRecorded(['verify', coseFile, '--publication', coseFile]);
    expect(publication.status).toBe(2);
  });

  it('still reads a receipt v1 as before', async () => {
    const path = join(dir, 'receipt.json');
    await writeFile(path, `${receiptToJson(world.receipt(4))}\n`);
    const run = await runRecorded(['verify', path, '--key', logKey.verifierKey]);
    expect(run.stdout).toMatch(/^VALID event .* checkpoint msi.test\/calendar@3 {2}witnesses: none\n$/);
  });
});
