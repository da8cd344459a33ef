// Done-when of issue 19, part 1: a tiles reader written from the spec alone (tiles-spec-reader.ts)
// verifies, from the tiles the running stack serves, that a later checkpoint extends an earlier one.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  formatVerifierKey,
  generateNoteKey,
  openCheckpoint,
  parseVerifierKey,
  verifierKeyOf,
} from '@msi/core';
import { nodeEd25519 } from '@msi/crypto-node';
import { eventually, repositoryRoot, useWorld } from '@msi/testkit';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { type MsiRun, runMsi } from './run-msi.js';
import { leafHash, TilesReader } from './tiles-spec-reader.js';

const ACME = 'tiles-acme-key';
// Short rounds, so the calendar passes a full tile (256 rounds) within seconds.
const world = useWorld({
  label: 'tiles',
  pipeline: {
    tiles: true,
    verifier: true,
    roundIntervalMs: 40,
    apiKeys: [{ key: ACME, tenant: 'acme', principal: 'acme-pipeline', roles: ['emitter', 'auditor'] }],
  },
  startTimeoutMs: 120_000,
});

describe('the calendar as C2SP tlog-tiles, served by the stack', () => {
  it('serves signed checkpoints whose trees extend each other, recomputed from the tiles alone', async () => {
    const base = world.pipeline.tilesUrl ?? '';
    const reader = new TilesReader(base);
    const first = await eventually('a checkpoint of at least 3 rounds', async () => {
      const checkpoint = await reader.checkpoint().catch(() => undefined);
      return checkpoint !== undefined && checkpoint.size >= 3 ? checkpoint : undefined;
    });
    const later = await eventually(
      'a checkpoint past the first full tile',
      async () => {
        const checkpoint = await reader.checkpoint();
        return checkpoint.size > 300 ? checkpoint : undefined;
      },
      { timeoutMs: 90_000 },
    );
    // Both are the log's, signed by the calendar's key.
    const keys = [parseVerifierKey(world.pipeline.verifierKey)];
    for (const checkpoint of [first, later]) {
      expect(openCheckpoint(checkpoint.text, keys, nodeEd25519()).checkpoint.size).toBe(checkpoint.size);
    }
    expect(later.origin).toBe(first.origin);

    // Consistency: the tree of the later checkpoint, read from its tiles, contains the earlier tree.
    expect(await reader.treeHash(later.size, later.size)).toEqual(later.root);
    expect(await reader.treeHash(first.size, later.size)).toEqual(first.root);

    // The leaves are the round records of the entry bundles.
    const entries = await reader.entries(0, later.size);
    expect(entries).toHaveLength(256);
    const leaves = await reader.tile(0, 0, later.size);
    expect(entries.map(leafHash)).toEqual(leaves);
    expect(new TextDecoder().decode(entries[0]?.slice(0, 4))).toBe('MSIR');

    // Tiles are immutable and cacheable; the checkpoint is not.
    const tile = reader.fetched.find((f) => f.path.startsWith('tile/0/'));
    expect(tile?.cacheControl).toContain('immutable');
    expect(reader.fetched.find((f) => f.path === 'checkpoint')?.cacheControl).toBe('no-cache');
    expect((await fetch(`${base}tile/0/5`)).status).toBe(404);
    expect((await fetch(`${base}../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${base}checkpoint`, { method: 'POST' })).status).toBe(405);
  });
});

const ajv = new Ajv({ allErrors: true, validateFormats: false });
const validators = new Map<string, ValidateFunction>();
/** A validator of a schema kept in packages/core/schemas. */
function validator(name: string): ValidateFunction {
  let validate = validators.get(name);
  if (validate === undefined) {
    validate = ajv.compile(
      JSON.parse(readFileSync(join(repositoryRoot(), 'packages/core/schemas', name), 'utf8')) as object,
    );
    validators.set(name, validate);
  }
  return validate;
}

const msi = (args: readonly string[]): Promise<MsiRun> =>
  runMsi(args, {
    MSI_INGEST_ADDRESS: world.pipeline.ingestAddress,
    MSI_VERIFIER_ADDRESS: world.pipeline.verifierAddress ?? '',
    MSI_API_KEY: ACME,
  });

describe('msi reads the tile log', () => {
  it('proves consistency and extends a receipt from the tiles, with nothing but their URL', async () => {
    const { pipeline, workDir } = world;
    const tiles = pipeline.tilesUrl ?? '';
    const emitted = await msi([
      'emit',
      '--insecure',
      '--kind',
      'STORE',
      '--data',
      `sha256:${'ab'.repeat(32)}`,
      '--actor',
      'alice',
    ]);
    expect(emitted.status, emitted.stderr).toBe(0);
    const { eventId } = JSON.parse(emitted.stdout.trim()) as { eventId: string };
    const fetched = await msi(['receipt', eventId, '--insecure', '--wait', '--timeout', '30']);
    expect(fetched.status, fetched.stderr).toBe(0);
    const receiptFile = join(workDir, 'tiles-receipt.json');
    await writeFile(receiptFile, fetched.stdout);
    const receiptCheckpoint = (JSON.parse(fetched.stdout) as { checkpoint: string }).checkpoint;
    const oldFile = join(workDir, 'old-checkpoint');
    await writeFile(oldFile, receiptCheckpoint);
    const reader = new TilesReader(tiles);
    const oldSize = Number(receiptCheckpoint.split('\n')[1]);
    await eventually('the tile log to grow past the receipt', async () =>
      (await reader.checkpoint()).size > oldSize + 3 ? true : undefined,
    );

    const consistent = await msi(['consistency', oldFile, '--tiles', tiles, '--key', pipeline.verifierKey]);
    expect(consistent.status, consistent.stderr).toBe(0);
    expect(consistent.stdout).toMatch(new RegExp(`^CONSISTENT \\S+ ${oldSize} -> \\d+`));

    const extendedFile = join(workDir, 'tiles-receipt-extended.json');
    const extended = await msi([
      'extend',
      receiptFile,
      '--tiles',
      tiles,
      '--key',
      pipeline.verifierKey,
      '-o',
      extendedFile,
    ]);
    expect(extended.status, extended.stderr).toBe(0);
    const verified = await msi(['verify', extendedFile, '--key', pipeline.verifierKey]);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/extended to @\d+/);

    // The same receipt as an in-toto Statement, and the data's history as PROV-JSON, each valid
    // against its schema (packages/core/schemas).
    const statement = await msi(['receipt', eventId, '--insecure', '--format', 'in-toto']);
    expect(statement.status, statement.stderr).toBe(0);
    const parsed = JSON.parse(statement.stdout) as { predicate: unknown; subject: { name: string }[] };
    expect(validator('in-toto-statement-v1.schema.json')(parsed)).toBe(true);
    expect(validator('msi-receipt-predicate-v1.schema.json')(parsed.predicate)).toBe(true);
    expect(parsed.subject[0]?.name).toBe(`sha256:${'ab'.repeat(32)}`);
    const tlogProof = await msi(['receipt', eventId, '--insecure', '--format', 'tlog-proof']);
    expect(tlogProof.status, tlogProof.stderr).toBe(0);
    expect(tlogProof.stdout.split('\n').slice(0, 3)).toEqual([
      'c2sp.org/tlog-proof@v1',
      expect.stringMatching(/^extra [A-Za-z0-9+/]+=*$/),
      expect.stringMatching(/^index \d+$/),
    ]);
    // Its entry (the extra data) is the round record the tile log holds at that index.
    const [, extraLine = '', indexLine = ''] = tlogProof.stdout.split('\n');
    const entry = new Uint8Array(Buffer.from(extraLine.slice('extra '.length), 'base64'));
    const index = Number(indexLine.slice('index '.length));
    const size = (await reader.checkpoint()).size;
    expect((await reader.tile(0, Math.floor(index / 256), size))[index % 256]).toEqual(leafHash(entry));
    // The same event as a COSE receipt (draft-ietf-cose-merkle-tree-proofs) against the tile log's
    // newest tree, signed by the calendar (its COSE tree head), verified with the log key alone.
    const coseFile = join(workDir, 'receipt.cose');
    const scitt = await msi([
      'receipt',
      eventId,
      '--insecure',
      '--format',
      'scitt',
      '--tiles',
      tiles,
      '-o',
      coseFile,
    ]);
    expect(scitt.status, scitt.stderr).toBe(0);
    expect(readFileSync(coseFile)[0]).toBe(0xd2); // tag 18, COSE_Sign1
    const coseVerified = await msi(['verify', coseFile, '--key', pipeline.verifierKey]);
    expect(coseVerified.status, coseVerified.stderr).toBe(0);
    expect(coseVerified.stdout).toMatch(new RegExp(`^VALID event ${eventId} .* COSE receipt \\S+@\\d+\n$`));
    const history = await msi([
      'history',
      `sha256:${'ab'.repeat(32)}`,
      '--insecure',
      '--format',
      'prov',
      '--key',
      pipeline.verifierKey,
    ]);
    expect(history.status, history.stderr).toBe(0);
    const prov = JSON.parse(history.stdout) as { activity: Record<string, unknown> };
    expect(validator('prov-json.schema.json')(prov)).toBe(true);
    expect(Object.keys(prov.activity)).toEqual([`event:${eventId}`]);

    // A tile log that is not this calendar's proves nothing.
    const otherKey = formatVerifierKey(
      verifierKeyOf(generateNoteKey('other.example/log', new Uint8Array(32).fill(7)).signer),
    );
    const refused = await msi(['consistency', oldFile, '--tiles', tiles, '--key', otherKey]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/INCONSISTENT UNTRUSTED_KEY/);
  });
});
