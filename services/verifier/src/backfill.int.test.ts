// Migration 5 on a projection built before it (real Postgres): the actors of the events already
// stored and the witness heads of the cosigned checkpoints already kept are filled at the next start,
// in several steps, and the bounds are cleared.
import { randomBytes } from 'node:crypto';
import {
  cosignCheckpoint,
  decodeEvent,
  encodeEvent,
  eventLeafHash,
  generateNoteKey,
  imprintOf,
  mintUuidV7,
  NOTE_ALG_COSIGNATURE_V1,
  parseVerifierKey,
  signCheckpoint,
} from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { createPool } from '@msi/postgres';
import { createLogger } from '@msi/service-kit';
import { createFreshDatabase, testServerUrls } from '@msi/testkit';
import { describe, expect, it } from 'vitest';
import { backfillProjection } from './backfill.js';
import { useProjectionAt } from './projection-at.test-helper.js';
import { prepareProjection } from './projection-store.js';
import { SCHEMA } from './schema.js';

const hasher = nodeHasher();
const seed = (b: number) => new Uint8Array(32).fill(b);
const log = generateNoteKey('calendar.test/log', seed(1));
const w1 = generateNoteKey('w1.test', seed(2), NOTE_ALG_COSIGNATURE_V1);
// The projection as migration 4 left it.
const earlier = useProjectionAt('verifier_backfill', 4);

function eventBytes(seq: number, position: number): Uint8Array {
  const now = Date.now() * 1000;
  return encodeEvent({
    tenant: 'acme',
    eventId: mintUuidV7(Date.now(), randomBytes(16)),
    kind: 'STORE',
    data: imprintOf('sha256', randomBytes(8)),
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: `actor-${seq % 3}`,
    submitter: position === 0 ? `actor-${seq % 3}` : 'gateway',
    source: { system: 's3', region: 'eu', host: 'a' },
    destination: { system: 's3', region: 'eu', host: 'b' },
    occurredAt: now - 10,
    receivedAt: now + seq * 10 + position,
    parents: [],
    attributes: [],
    nonce: randomBytes(16),
  });
}

describe('backfill of migration 5 (real Postgres)', () => {
  it('fills actors and witness heads of rows projected before it, in steps, then forgets the bounds', async () => {
    // 40 EventBatch messages of 3 events (the backfill reads 16 messages per step).
    const events: { seq: number; position: number; canonical: Uint8Array }[] = [];
    for (let seq = 1; seq <= 40; seq++)
      for (let position = 0; position < 3; position++)
        events.push({ seq, position, canonical: eventBytes(seq, position) });
    await earlier.pool.query(
      `INSERT INTO ${SCHEMA}.events (stream_seq, position, shard, tenant, event_id, kind, data, to_tenant,
         received_at_us, canonical, leaf_hash)
       SELECT t.seq, t.pos, 0, 'acme', t.id, 3, '\\x00'::bytea, '', t.seq, t.canonical, t.leaf
       FROM unnest($1::int8[], $2::int4[], $3::bytea[], $4::bytea[], $5::bytea[]) AS t(seq, pos, canonical, leaf, id)`,
      [
        events.map((e) => e.seq),
        events.map((e) => e.position),
        events.map((e) => Buffer.from(e.canonical)),
        events.map((e) => Buffer.from(eventLeafHash(hasher, e.canonical))),
        events.map((e) => Buffer.from(decodeEvent(e.canonical).eventId)),
      ],
    );
    // Two cosigned checkpoints: w1 cosigned size 3 at T=100, then size 4 at T=90 (its own clock).
    for (const [size, time] of [
      [3, 100],
      [4, 90],
    ] as const) {
      const note = signCheckpoint(
        { origin: log.signer.name, size, root: new Uint8Array(32).fill(size), extensions: [] },
        log.signer,
      );
      await earlier.pool.query(
        `INSERT INTO ${SCHEMA}.checkpoints (size, root, note) VALUES ($1::int8, $2::bytea, $3::text)`,
        [size, Buffer.alloc(32, size), note],
      );
      await earlier.pool.query(
        `INSERT INTO ${SCHEMA}.cosigned_checkpoints (size, note, cosignature_count) VALUES ($1::int8, $2::text, 1)`,
        [size, cosignCheckpoint(note, w1.signer, time)],
      );
    }

    await prepareProjection(earlier.pool);
    const bounds = await earlier.pool.query(`SELECT name, below FROM ${SCHEMA}.backfills ORDER BY name`);
    expect(bounds.rows.map((r) => [r.name, Number(r.below)])).toEqual([
      ['event_actors', 41],
      ['witness_heads', 5],
    ]);
    const logged: string[] = [];
    await backfillProjection(
      earlier.pool,
      parseVerifierKey(log.verifierKey),
      createLogger({ service: 'verifier', level: 'info', write: (line) => logged.push(line) }),
    );

    // since migration 7 the actor and the submitter are columns of the event row
    const actors = await earlier.pool.query(
      `SELECT actor, submitter, stream_seq, position FROM ${SCHEMA}.events ORDER BY stream_seq, position`,
    );
    expect(actors.rows).toHaveLength(120);
    expect(
      actors.rows.slice(0, 2).map((r) => [r.actor, r.submitter, Number(r.stream_seq), r.position]),
    ).toEqual([
      ['actor-1', 'actor-1', 1, 0],
      ['actor-1', 'gateway', 1, 1],
    ]);
    expect(actors.rows.filter((r) => r.submitter === 'gateway')).toHaveLength(80);
    for (const r of actors.rows) expect(r.actor).toBe(`actor-${Number(r.stream_seq) % 3}`);
    const heads = await earlier.pool.query(
      `SELECT name, key_id, size, cosigned_at_us FROM ${SCHEMA}.witness_heads`,
    );
    expect(
      heads.rows.map((r) => [r.name, Number(r.key_id), Number(r.size), Number(r.cosigned_at_us)]),
    ).toEqual([['w1.test', w1.signer.keyId, 4, 90_000_000]]);
    expect((await earlier.pool.query(`SELECT * FROM ${SCHEMA}.backfills`)).rows).toEqual([]);
    expect(logged.filter((line) => line.includes('"msg":"backfilled"'))).toHaveLength(2);

    // A second start has nothing to fill.
    await backfillProjection(
      earlier.pool,
      parseVerifierKey(log.verifierKey),
      createLogger({ service: 'verifier', level: 'info', write: (line) => logged.push(line) }),
    );
    expect(logged.filter((line) => line.includes('"msg":"backfilled"'))).toHaveLength(2);
    const filled = await earlier.pool.query(
      `SELECT count(*) AS n FROM ${SCHEMA}.events WHERE actor IS NOT NULL`,
    );
    expect(Number(filled.rows[0]?.n)).toBe(120);
  });

  it('gives a projection built from scratch nothing to fill', async () => {
    const fresh = await createFreshDatabase(testServerUrls().databaseUrl, 'verifier_backfill_fresh');
    const freshPool = createPool({ connectionString: fresh.url });
    try {
      await prepareProjection(freshPool);
      expect((await freshPool.query(`SELECT * FROM ${SCHEMA}.backfills`)).rows).toEqual([]);
    } finally {
      await freshPool.end();
      await fresh.drop();
    }
  });
});
