import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBase64, parseReceiptJson, receiptToJson } from '@msi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliWorld, logKey, ORIGIN } from './cli-world.test-helper.js';
import { runRecorded } from './memory-io.test-helper.js';

const world = buildCliWorld(4, 2);
let dir: string;
let receiptFile: string;

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const extensionTo = (size: number, from = 2) =>
  JSON.stringify({
    checkpoint: world.checkpointAt(size),
    consistency: world.consistency(from, size).map(encodeBase64),
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-cli-extend-'));
  receiptFile = await file('receipt.json', `${receiptToJson(world.receipt(1, 2))}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('msi extend', () => {
  it('writes the extended receipt, which then verifies as extended', async () => {
    const from = await file('ext4.json', extensionTo(4));
    const run = await runRecorded(['extend', receiptFile, '--from', from, '--key', logKey.verifierKey]);
    expect(run.status).toBe(0);
    expect(run.stdout.endsWith('}\n')).toBe(true);
    const extended = parseReceiptJson(run.stdout);
    expect(extended.extension?.checkpoint).toBe(world.checkpointAt(4));
    expect(receiptToJson(extended)).toBe(run.stdout.slice(0, -1));
    const out = await file('extended.json', run.stdout);
    const verified = await runRecorded(['verify', out, '--key', logKey.verifierKey]);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toContain(`checkpoint ${ORIGIN}@2  extended to @4`);
  });

  it('writes to -o FILE', async () => {
    const from = await file('ext3.json', extensionTo(3));
    const out = join(dir, 'out.json');
    const run = await runRecorded([
      'extend',
      receiptFile,
      '--from',
      from,
      '--key',
      logKey.verifierKey,
      '-o',
      out,
    ]);
    expect(run).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(parseReceiptJson(await readFile(out, 'utf8')).extension?.consistency.length).toBe(
      world.consistency(2, 3).length,
    );
  });

  it('refuses an extension whose proof does not fit, writing nothing', async () => {
    const from = await file('wrong.json', extensionTo(4, 3)); // a proof from size 3, not 2
    const run = await runRecorded(['extend', receiptFile, '--from', from, '--key', logKey.verifierKey]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^INVALID CONSISTENCY_PROOF_INVALID: /);
  });

  it.each([
    [
      'no --from and no verifier',
      () => [receiptFile, '--key', logKey.verifierKey],
      /no verifier server: give --server host:port or set MSI_VERIFIER_ADDRESS/,
    ],
    [
      'an extension file of the wrong shape',
      async () => [
        receiptFile,
        '--from',
        await file('x.json', '{"checkpoint":1}'),
        '--key',
        logKey.verifierKey,
      ],
      /"checkpoint" must be the checkpoint note text/,
    ],
    [
      'a missing extension file',
      () => [receiptFile, '--from', join(dir, 'none.json'), '--key', logKey.verifierKey],
      /cannot read extension file/,
    ],
  ])('exits 2 naming the problem for %s', async (_, args, message) => {
    const run = await runRecorded(['extend', ...(await args())]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
