// Done-when of issue 19, part 1: a tiles reader written from the spec alone (tiles-spec-reader.ts)
// verifies, from the tiles the running stack serves, that a later checkpoint extends an earlier one.
import { openCheckpoint, parseVerifierKey } from '@msi/core';
import { nodeEd25519 } from '@msi/crypto-node';
import { eventually, useWorld } from '@msi/testkit';
import { describe, expect, it } from 'vitest';
import { leafHash, TilesReader } from './tiles-spec-reader.js';

// Short rounds, so the calendar passes a full tile (256 rounds) within seconds.
const world = useWorld({
  label: 'tiles',
  pipeline: { tiles: true, roundIntervalMs: 40, apiKeys: [] },
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
