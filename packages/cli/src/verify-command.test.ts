import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatImprint, formatUuid, generateNoteKey, receiptToJson } from '@msi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCliWorld,
  COSIGN_TIME,
  logKey,
  ORIGIN,
  otherLogKey,
  witnessA,
  witnessB,
  worldEvent,
} from './cli-world.test-helper.js';
import { formatMicros, formatSeconds } from './format-time.js';
import { runRecorded } from './memory-io.test-helper.js';

const world = buildCliWorld(3, 3);
let dir: string;
let receiptFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-cli-verify-'));
  receiptFile = join(dir, 'receipt.json');
  await writeFile(receiptFile, `${receiptToJson(world.receipt(4))}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('msi verify', () => {
  it('prints one VALID line with what the receipt proves', async () => {
    const run = await runRecorded(['verify', receiptFile, '--key', logKey.verifierKey]);
    expect(run.status).toBe(0);
    const event = worldEvent(4);
    expect(run.stdout).toBe(
      `VALID event ${formatUuid(event.eventId)}  STORE acme ${formatImprint(event.data)}` +
        `  round 1 closed ${formatMicros(world.closedAt(1))}  checkpoint ${ORIGIN}@3  witnesses: none\n`,
    );
    expect(run.stderr).toBe('');
  });

  it('lists trusted witnesses with their cosignature times and meets a quorum', async () => {
    const run = await runRecorded([
      'verify',
      receiptFile,
      '--key',
      logKey.verifierKey,
      '--witness',
      witnessA.verifierKey,
      '--witness',
      witnessB.verifierKey,
      '--quorum',
      '2',
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      `witnesses: witness.test/a@${formatSeconds(COSIGN_TIME)}, witness.test/b@${formatSeconds(COSIGN_TIME + 5)}`,
    );
  });

  it('reads the trust from a trust file', async () => {
    const trust = await file(
      'trust.json',
      JSON.stringify({ logKeys: [logKey.verifierKey], witnessKeys: [witnessA.verifierKey], quorum: 1 }),
    );
    const run = await runRecorded(['verify', receiptFile, '--trust', trust]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^VALID event /);
  });

  it('fails with the step code when a byte of the receipt changes', async () => {
    const receipt = world.receipt(4);
    const event = new Uint8Array(receipt.event);
    event[event.length - 1] = (event[event.length - 1] ?? 0) ^ 1; // the nonce's last byte
    const path = await file('mutated.json', receiptToJson({ ...receipt, event }));
    const run = await runRecorded(['verify', path, '--key', logKey.verifierKey]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^INVALID EVENT_PROOF_INVALID: /);
  });

  it('fails UNTRUSTED_KEY under another log key', async () => {
    const run = await runRecorded(['verify', receiptFile, '--key', otherLogKey.verifierKey]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^INVALID UNTRUSTED_KEY: /);
  });

  it('fails QUORUM_NOT_MET when too few trusted witnesses cosigned', async () => {
    const stranger = generateNoteKey('witness.test/c', new Uint8Array(32).fill(5), 0x04);
    const run = await runRecorded([
      'verify',
      receiptFile,
      '--key',
      logKey.verifierKey,
      '--witness',
      witnessA.verifierKey,
      '--witness',
      stranger.verifierKey,
      '--quorum',
      '2',
    ]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^INVALID QUORUM_NOT_MET: 1 trusted witness/);
  });

  it('fails UNKNOWN_SIGNATURE in strict mode when the receipt carries untrusted cosignatures', async () => {
    const run = await runRecorded(['verify', receiptFile, '--key', logKey.verifierKey, '--strict']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^INVALID UNKNOWN_SIGNATURE: /);
  });

  it('prints JSON for machines with --json', async () => {
    const ok = await runRecorded(['verify', receiptFile, '--key', logKey.verifierKey, '--json']);
    expect(ok.status).toBe(0);
    const proven = JSON.parse(ok.stdout) as Record<string, unknown>;
    expect(proven).toMatchObject({
      ok: true,
      event: { eventId: formatUuid(worldEvent(4).eventId), kind: 'STORE', tenant: 'acme' },
      round: 1,
      closedAt: formatMicros(world.closedAt(1)),
      checkpoint: { origin: ORIGIN, size: 3 },
      logKeys: [ORIGIN],
      witnesses: [],
      unverifiedSignatures: ['witness.test/a', 'witness.test/b'],
    });
    const bad = await runRecorded(['verify', receiptFile, '--key', otherLogKey.verifierKey, '--json']);
    expect(bad.status).toBe(1);
    const failure = JSON.parse(bad.stdout) as Record<string, unknown>;
    expect(failure.ok).toBe(false);
    expect(failure.code).toBe('UNTRUSTED_KEY');
    expect(typeof failure.message).toBe('string');
  });

  it('reads the receipt from standard input with -', async () => {
    const run = await runRecorded(['verify', '-', '--key', logKey.verifierKey], {
      stdin: receiptToJson(world.receipt(0)),
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(formatUuid(worldEvent(0).eventId));
  });

  it.each([
    [
      'a missing file',
      () => [join(dir, 'nope.json'), '--key', logKey.verifierKey],
      /cannot read receipt .*nope\.json/,
    ],
    ['no key', () => [receiptFile], /no trusted log key/],
    ['a malformed key', () => [receiptFile, '--key', 'not-a-key'], /--key not-a-key is not a verifier key/],
    ['a witness key as log key', () => [receiptFile, '--key', witnessA.verifierKey], /not a log key/],
    ['an unknown flag', () => [receiptFile, '--kee', 'x'], /Unknown option '--kee'/],
    [
      'two receipts',
      () => [receiptFile, receiptFile, '--key', logKey.verifierKey],
      /takes <receipt.json>, got 2/,
    ],
    [
      'an impossible quorum',
      () => [receiptFile, '--key', logKey.verifierKey, '--quorum', '1'],
      /can never be met/,
    ],
  ])('exits 2 naming the problem for %s', async (_, args, message) => {
    const run = await runRecorded(['verify', ...args()]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  it('exits 2 for a file that is not JSON, 1 for JSON that is not a receipt', async () => {
    const notJson = await runRecorded([
      'verify',
      await file('bad.json', '{"version":'),
      '--key',
      logKey.verifierKey,
    ]);
    expect(notJson.status).toBe(2);
    expect(notJson.stderr).toMatch(/^msi verify: receipt .*bad\.json is not JSON: /);
    const notReceipt = await runRecorded([
      'verify',
      await file('obj.json', '{"a":1}'),
      '--key',
      logKey.verifierKey,
    ]);
    expect(notReceipt.status).toBe(1);
    expect(notReceipt.stdout).toMatch(/^INVALID RECEIPT_MALFORMED: /);
  });

  it('exits 2 for a file that is not UTF-8, never reading it as another text', async () => {
    // A byte 0xff inside a string of a valid receipt: replaced by U+FFFD it would still be JSON.
    const valid = Buffer.from(`${receiptToJson(world.receipt(4))}\n`);
    const at = valid.indexOf('"checkpoint":"') + 15;
    const path = join(dir, 'latin1.json');
    await writeFile(path, Buffer.concat([valid.subarray(0, at), Buffer.of(0xff), valid.subarray(at)]));
    const run = await runRecorded(['verify', path, '--key', logKey.verifierKey]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^msi verify: receipt .*latin1\.json is not UTF-8 text/);
  });

  it('prints its help with --help and exits 0', async () => {
    const run = await runRecorded(['verify', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: msi verify <receipt.json> --key VERIFIER_KEY/);
  });
});
