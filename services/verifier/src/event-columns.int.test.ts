// Migration 7 on a projection built before it (real Postgres): the actors and data imprints written
// as rows of their own move onto the event rows, rows still waiting for the backfill of migration 5
// get theirs from it, and custody history and SearchByActor answer as before.
import { randomBytes } from 'node:crypto';
import {
  decodeEvent,
  type EventKind,
  encodeEvent,
  encodeImprint,
  eventLeafHash,
  generateNoteKey,
  type Imprint,
  imprintOf,
  kindCode,
  mintUuidV7,
  parseVerifierKey,
} from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { createLogger } from '@msi/service-kit';
import { describe, expect, it } from 'vitest';
import { backfillProjection } from './backfill.js';
import { useProjectionAt } from './projection-at.test-helper.js';
import { prepareProjection } from './projection-store.js';
import { actorEventsOf, historyOf } from './receipt-store.js';
import { SCHEMA } from './schema.js';

const hasher = nodeHasher();
const log = generateNoteKey('calendar.test/log', new Uint8Array(32).fill(1));
// The projection as migration 6 left it.
const earlier = useProjectionAt('verifier_event_columns', 6);

const item = imprintOf('sha256', randomBytes(8));
const derived = imprintOf('sha256', randomBytes(8));
const job = imprintOf('sha256', randomBytes(8));

interface Stored {
  readonly seq: number;
  readonly position: number;
  readonly kind: EventKind;
  readonly data: Imprint;
  readonly inputs: Imprint[];
  readonly outputs: Imprint[];
  readonly actor: string;
  readonly submitter: string;
}

/** The events as a projection before migration 7 held them; message 5 predates migration 5. */
const STORED: readonly Stored[] = [
  { seq: 5, position: 0, kind: 'STORE', data: item, inputs: [], outputs: [], actor: 'bob', submitter: 'gw' },
  {
    seq: 10,
    position: 0,
    kind: 'STORE',
    data: item,
    inputs: [],
    outputs: [],
    actor: 'alice',
    submitter: 'alice',
  },
  {
    seq: 10,
    position: 1,
    kind: 'PROCESS',
    data: job,
    inputs: [item],
    outputs: [derived],
    actor: 'etl',
    submitter: 'gw',
  },
];

function canonicalOf(e: Stored): Uint8Array {
  const now = Date.now() * 1000;
  return encodeEvent({
    tenant: 'acme',
    eventId: mintUuidV7(Date.now(), randomBytes(16)),
    kind: e.kind,
    data: e.data,
    inputs: e.inputs,
    outputs: e.outputs,
    toTenant: '',
    actor: e.actor,
    submitter: e.submitter,
    source: { system: 's3', region: 'eu', host: 'a' },
    destination: { system: 's3', region: 'eu', host: 'b' },
    occurredAt: now - 10,
    receivedAt: now + e.seq * 10 + e.position,
    parents: [],
    attributes: [],
    nonce: randomBytes(16),
  });
}

const range = { fromUs: 0, toUs: 0, after: undefined, offset: 0, limit: 10 };
const newest = { fromUs: 0, toUs: 0, after: undefined, limit: 10 };

describe('migration 7: actors and data imprints on the event rows (real Postgres)', () => {
  it('moves them, leaves rows awaiting the backfill to it, and answers history and actor searches as before', async () => {
    const canonicals = STORED.map(canonicalOf);
    await earlier.pool.query(
      `INSERT INTO ${SCHEMA}.events (stream_seq, position, shard, tenant, event_id, kind, data, to_tenant,
         received_at_us, canonical, leaf_hash)
       SELECT t.seq, t.pos, 0, 'acme', t.id, t.kind, t.data, '', t.received, t.canonical, t.leaf
       FROM unnest($1::int8[], $2::int4[], $3::bytea[], $4::int2[], $5::bytea[], $6::int8[], $7::bytea[], $8::bytea[])
         AS t(seq, pos, id, kind, data, received, canonical, leaf)`,
      [
        STORED.map((e) => e.seq),
        STORED.map((e) => e.position),
        canonicals.map((c) => Buffer.from(decodeEvent(c).eventId)),
        STORED.map((e) => kindCode(e.kind)),
        STORED.map((e) => Buffer.from(encodeImprint(e.data))),
        canonicals.map((c) => decodeEvent(c).receivedAt),
        canonicals.map((c) => Buffer.from(c)),
        canonicals.map((c) => Buffer.from(eventLeafHash(hasher, c))),
      ],
    );
    // What migration 5 and the projector wrote: message 10's actors and imprints; message 5 awaits the
    // backfill (its bound: 6), its imprints written when it was projected.
    await earlier.pool.query(`INSERT INTO ${SCHEMA}.backfills (name, below) VALUES ('event_actors', 6)`);
    for (const [i, e] of STORED.entries()) {
      const receivedAt = decodeEvent(canonicals[i] ?? new Uint8Array()).receivedAt;
      if (e.seq === 10)
        for (const [name, role] of [
          [e.actor, 'actor'],
          [e.submitter, 'submitter'],
        ])
          await earlier.pool.query(
            `INSERT INTO ${SCHEMA}.event_actors (name, role, received_at_us, stream_seq, position)
             VALUES ($1, $2, $3, $4, $5)`,
            [name, role, receivedAt, e.seq, e.position],
          );
      const imprints = [
        [e.data, 'data'],
        ...e.inputs.map((x) => [x, 'input'] as const),
        ...e.outputs.map((x) => [x, 'output'] as const),
      ] as const;
      for (const [imprint, role] of imprints)
        await earlier.pool.query(
          `INSERT INTO ${SCHEMA}.event_imprints (imprint, role, stream_seq, position) VALUES ($1, $2, $3, $4)`,
          [Buffer.from(encodeImprint(imprint)), role, e.seq, e.position],
        );
    }

    await prepareProjection(earlier.pool);

    const columns = async () =>
      (
        await earlier.pool.query(
          `SELECT stream_seq, position, actor, submitter FROM ${SCHEMA}.sealed_events ORDER BY stream_seq, position`,
        )
      ).rows.map((r) => [Number(r.stream_seq), r.position, r.actor, r.submitter]);
    expect(await columns()).toEqual([
      [5, 0, null, null],
      [10, 0, 'alice', 'alice'],
      [10, 1, 'etl', 'gw'],
    ]);
    const tables = await earlier.pool.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'event_actors'`,
      [SCHEMA],
    );
    expect(tables.rows).toEqual([]);
    const imprints = await earlier.pool.query(
      `SELECT role, stream_seq, position FROM ${SCHEMA}.event_imprints ORDER BY role, stream_seq, position`,
    );
    expect(imprints.rows.map((r) => [r.role, Number(r.stream_seq), r.position])).toEqual([
      ['input', 10, 1],
      ['output', 10, 1],
    ]);

    // The item's custody history: as data (from the event rows) and as an input (from event_imprints).
    const history = await historyOf(earlier.pool, encodeImprint(item), 'acme', range);
    expect(history.map((h) => [h.event.streamSeq, h.event.position, h.role])).toEqual([
      [5, 0, 'data'],
      [10, 0, 'data'],
      [10, 1, 'input'],
    ]);
    const searched = async (name: string) =>
      (await actorEventsOf(earlier.pool, name, 'acme', newest)).map((h) => [
        h.event.streamSeq,
        h.event.position,
        h.role,
      ]);
    expect(await searched('alice')).toEqual([[10, 0, 'actor,submitter']]);
    expect(await searched('gw')).toEqual([[10, 1, 'submitter']]);
    expect(await searched('bob')).toEqual([]); // not backfilled yet

    await backfillProjection(
      earlier.pool,
      parseVerifierKey(log.verifierKey),
      createLogger({ service: 'verifier', level: 'error', write: () => undefined }),
    );
    expect((await columns())[0]).toEqual([5, 0, 'bob', 'gw']);
    expect(await searched('gw')).toEqual([
      [10, 1, 'submitter'],
      [5, 0, 'submitter'],
    ]);
    expect(await searched('bob')).toEqual([[5, 0, 'actor']]);
    // a page of one, then the next after it (keyset over both indexes)
    const first = await actorEventsOf(earlier.pool, 'gw', 'acme', { ...newest, limit: 1 });
    const last = first.at(-1)?.event;
    expect(last).toBeDefined();
    const next = await actorEventsOf(earlier.pool, 'gw', 'acme', {
      ...newest,
      limit: 1,
      after: {
        receivedAt: first[0]?.receivedAt ?? 0,
        streamSeq: last?.streamSeq ?? 0,
        position: last?.position ?? 0,
      },
    });
    expect(next.map((h) => [h.event.streamSeq, h.event.position])).toEqual([[5, 0]]);
  });
});
