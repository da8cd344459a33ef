import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extendReceipt, formatPublication, formatUuid, parseReceiptJson, receiptToJson } from '@msi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliWorld, logKey, ORIGIN, otherLogKey, worldEvent } from './cli-world.test-helper.js';
import { type FakeVerifier, startFakeVerifier } from './fake-verifier.test-helper.js';
import { formatSeconds } from './format-time.js';
import { runRecorded } from './memory-io.test-helper.js';

const world = buildCliWorld(5, 2);
const PUBLISHED = 1_764_086_400; // 2025-11-25T16:00:00Z
let dir: string;
let verifier: FakeVerifier;
let receiptAt2: string; // event 3 (round 1) against the checkpoint of size 2
let extendedTo4: string; // the same, extended to size 4
const publications = new Map<string, string>();

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** The file of the publication of `note` (written once per note). */
async function publicationFile(name: string, note: string): Promise<string> {
  const known = publications.get(name);
  if (known !== undefined) return known;
  const path = await file(`${name}.pub`, formatPublication(PUBLISHED, note));
  publications.set(name, path);
  return path;
}

const server = () => ['--server', verifier.address, '--insecure'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-cli-publication-'));
  verifier = await startFakeVerifier({ world, receipts: [] });
  receiptAt2 = await file('r2.json', `${receiptToJson(world.receipt(3, 2))}\n`);
  const extended = extendReceipt(world.receipt(3, 2), {
    checkpoint: world.checkpointAt(4),
    consistency: world.consistency(2, 4),
  });
  extendedTo4 = await file('r2to4.json', `${receiptToJson(extended)}\n`);
});
afterAll(async () => {
  await verifier?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('msi verify --publication', () => {
  it('verifies an extended receipt against the publication with no key at all', async () => {
    const run = await runRecorded([
      'verify',
      extendedTo4,
      '--publication',
      await publicationFile('p4', world.checkpointAt(4)),
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^VALID event ${formatUuid(worldEvent(3).eventId)} .* round 1 closed .*`),
    );
    expect(
      run.stdout.endsWith(
        `  checkpoint ${ORIGIN}@2  extended to @4  published ${formatSeconds(PUBLISHED)}\n`,
      ),
    ).toBe(true);
  });

  it('fails PUBLICATION_MISMATCH against a publication of another size or history', async () => {
    for (const [name, note] of [
      ['p3', world.checkpointAt(3)],
      ['p5', world.checkpointAt(5)],
      ['fork4', world.forkedCheckpointAt(4)],
    ] as const) {
      const run = await runRecorded([
        'verify',
        extendedTo4,
        '--publication',
        await publicationFile(name, note),
      ]);
      expect(run.status).toBe(1);
      expect(run.stdout).toMatch(/^INVALID PUBLICATION_MISMATCH: /);
    }
  });

  it('checks the keys as well when they are given, on the receipt and on the publication', async () => {
    const publication = await publicationFile('p4', world.checkpointAt(4));
    const good = await runRecorded([
      'verify',
      extendedTo4,
      '--publication',
      publication,
      '--key',
      logKey.verifierKey,
    ]);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/extended to @4 {2}witnesses: none {2}published \S+Z\n$/);
    const other = await runRecorded([
      'verify',
      extendedTo4,
      '--publication',
      publication,
      '--key',
      otherLogKey.verifierKey,
    ]);
    expect(other.status).toBe(1);
    expect(other.stdout).toMatch(/^INVALID UNTRUSTED_KEY/);
    // a publication signed by another key: the receipt is fine, the publication's signature is not
    const foreign = await publicationFile('p4other', world.checkpointAt(4, otherLogKey));
    const keyless = await runRecorded(['verify', extendedTo4, '--publication', foreign]);
    expect(keyless.status).toBe(0);
    const keyed = await runRecorded([
      'verify',
      extendedTo4,
      '--publication',
      foreign,
      '--key',
      logKey.verifierKey,
    ]);
    expect(keyed.status).toBe(1);
    expect(keyed.stdout).toMatch(/^INVALID UNTRUSTED_KEY: publication: /);
  });

  it('prints JSON with --json', async () => {
    const run = await runRecorded([
      'verify',
      extendedTo4,
      '--publication',
      await publicationFile('p4', world.checkpointAt(4)),
      '--json',
    ]);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      round: number;
      published: Record<string, unknown>;
    };
    expect(result.ok).toBe(true);
    expect(result.round).toBe(1);
    expect(result.published).toEqual({
      origin: ORIGIN,
      size: 4,
      time: formatSeconds(PUBLISHED),
      matchedBy: 'extension',
    });
  });

  it('exits 2 for a publication that does not parse', async () => {
    const text = formatPublication(PUBLISHED, world.checkpointAt(4)).replace('time ', 'time: ');
    const run = await runRecorded(['verify', extendedTo4, '--publication', await file('bad.pub', text)]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/PUBLICATION_MALFORMED/);
  });
});

describe('msi extend --publication', () => {
  it("extends to exactly the publication with the verifier's proof; the result verifies keyless", async () => {
    const publication = await publicationFile('p4', world.checkpointAt(4));
    const run = await runRecorded(['extend', receiptAt2, '--publication', publication, ...server()]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const extended = parseReceiptJson(run.stdout);
    expect(extended.extension?.checkpoint).toBe(world.checkpointAt(4));
    const out = await file('extended.json', run.stdout);
    const verified = await runRecorded(['verify', out, '--publication', publication]);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toContain(`extended to @4  published ${formatSeconds(PUBLISHED)}`);
  });

  it('takes the verifier from MSI_VERIFIER_ADDRESS, checks keys if given and writes -o FILE', async () => {
    const out = join(dir, 'out.json');
    const run = await runRecorded(
      [
        'extend',
        receiptAt2,
        '--publication',
        await publicationFile('p5', world.checkpointAt(5)),
        '--insecure',
        '--key',
        logKey.verifierKey,
        '-o',
        out,
      ],
      { env: { MSI_VERIFIER_ADDRESS: verifier.address } },
    );
    expect(run).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(parseReceiptJson(await readFile(out, 'utf8')).extension?.checkpoint).toBe(world.checkpointAt(5));
  });

  it('refuses a publication older than the receipt, or a forked one, writing nothing', async () => {
    const at4 = await file('r4.json', receiptToJson(world.receipt(3, 4)));
    const older = await runRecorded([
      'extend',
      at4,
      '--publication',
      await publicationFile('p3', world.checkpointAt(3)),
      ...server(),
    ]);
    expect(older.status).toBe(1);
    expect(older.stdout).toBe('');
    expect(older.stderr).toMatch(/^INVALID PUBLICATION_MISMATCH: /);
    const forked = await runRecorded([
      'extend',
      receiptAt2,
      '--publication',
      await publicationFile('fork4', world.forkedCheckpointAt(4)),
      ...server(),
    ]);
    expect(forked.status).toBe(1);
    expect(forked.stdout).toBe('');
    expect(forked.stderr).toMatch(/^INVALID CONSISTENCY_PROOF_INVALID: /);
  });

  it('exits 2 for --from with --publication, or no verifier when one is needed', async () => {
    const publication = await publicationFile('p4', world.checkpointAt(4));
    const both = await runRecorded([
      'extend',
      receiptAt2,
      '--publication',
      publication,
      '--from',
      receiptAt2,
    ]);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/not both/);
    const none = await runRecorded(['extend', receiptAt2, '--publication', publication]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no verifier server/);
  });
});
