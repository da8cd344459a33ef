// The projection's bulk writes against a real Postgres: events and imprints packed into binary
// parameters (@msi/postgres PackedColumn) come back byte for byte; a redelivered group changes nothing.
import { randomBytes } from 'node:crypto';
import { decodeEvent, encodeEvent, encodeImprint, eventLeafHash, imprintOf, mintUuidV7 } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { createPool, type Pool, toBytes } from '@msi/postgres';
import { streamV1 } from '@msi/proto';
import type { PumpMessage } from '@msi/service-kit';
import { createFreshDatabase, type FreshDatabase, testServerUrls } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRowsOf } from './event-rows.js';
import { coveredEvents, insertEvents, prepareProjection } from './projection-store.js';
import { RecentEventRows } from './recent-event-rows.js';
import { SCHEMA } from './schema.js';

const hasher = nodeHasher();
let database: FreshDatabase;
let pool: Pool;

beforeAll(async () => {
  database = await createFreshDatabase(testServerUrls().databaseUrl, 'projection_store');
  pool = createPool({ connectionString: database.url });
  await prepareProjection(pool);
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** An event of `i` bytes of attributes (sizes vary), with an input and an output. */
function eventBytes(i: number): Uint8Array {
  const now = Date.now() * 1000;
  return encodeEvent({
    tenant: i % 2 === 0 ? 'acme' : 'beta',
    eventId: mintUuidV7(Date.now(), randomBytes(16)),
    kind: 'PROCESS',
    data: imprintOf('sha256', randomBytes(8)),
    inputs: [imprintOf('sha256', randomBytes(8))],
    outputs: [imprintOf('sha512', randomBytes(8))],
    toTenant: '',
    actor: `job-${i % 3}`,
    submitter: i % 5 === 0 ? `job-${i % 3}` : 'gw',
    source: { system: 's3', region: 'eu', host: 'a' },
    destination: { system: 's3', region: 'eu', host: 'b' },
    occurredAt: now - 10,
    receivedAt: now - i,
    parents: [],
    attributes: [{ key: 'pad', value: 'x'.repeat(i % 97) }],
    nonce: randomBytes(16),
  });
}

function message(seq: number, shard: number, events: Uint8Array[]): PumpMessage {
  const batch = streamV1.EventBatch.encode({
    version: 1,
    batchId: `b-${seq}`,
    shard,
    events: events.map((e) => Buffer.from(e)),
  }).finish();
  return { seq, subject: `msi.events.${shard}`, data: batch, storedAtUs: 0 };
}

describe('projection store (real Postgres)', () => {
  it('writes a group of batches in one statement per table, byte for byte, once', async () => {
    const batches = [1, 2, 3].map((seq) => Array.from({ length: 40 }, (_, i) => eventBytes(seq * 100 + i)));
    const messages = batches.map((events, i) => message(i + 1, i % 2, events));
    const rows = eventRowsOf(hasher, messages);
    await insertEvents(pool, rows);
    // The pump applies each message once; rows already there are a fault, refused whole.
    await expect(insertEvents(pool, eventRowsOf(hasher, messages))).rejects.toThrow(/duplicate key/);
    const stored = await pool.query(
      `SELECT stream_seq, position, event_id, data, canonical, leaf_hash, actor, submitter FROM ${SCHEMA}.events
       ORDER BY stream_seq, position`,
    );
    expect(stored.rows).toHaveLength(120);
    stored.rows.forEach((r, i) => {
      const canonical = batches[Math.floor(i / 40)]?.[i % 40] ?? new Uint8Array();
      expect(Number(r.stream_seq)).toBe(Math.floor(i / 40) + 1);
      expect(Number(r.position)).toBe(i % 40);
      expect(Buffer.from(toBytes(r.canonical, 'canonical')).equals(Buffer.from(canonical))).toBe(true);
      expect(
        Buffer.from(toBytes(r.leaf_hash, 'leaf_hash')).equals(Buffer.from(eventLeafHash(hasher, canonical))),
      ).toBe(true);
      expect(Buffer.from(toBytes(r.event_id, 'event_id')).equals(Buffer.from(rows.id.at(i) ?? []))).toBe(
        true,
      );
      expect(Buffer.from(toBytes(r.data, 'data')).equals(Buffer.from(rows.data.at(i) ?? []))).toBe(true);
      const decoded = decodeEvent(canonical);
      expect([r.actor, r.submitter]).toEqual([decoded.actor, decoded.submitter]);
    });
    // the data imprint is on the event row (migration 7): event_imprints holds inputs and outputs
    const imprints = await pool.query(`SELECT imprint, role FROM ${SCHEMA}.event_imprints`);
    expect(imprints.rows.map((r) => r.role).sort()).toEqual([
      ...Array(120).fill('input'),
      ...Array(120).fill('output'),
    ]);
    const outputs = imprints.rows.filter((r) => r.role === 'output');
    expect(outputs).toHaveLength(120);
    // sha512 imprints are longer than sha256 ones: the packed lengths carry each value's own size
    for (const r of outputs)
      expect(toBytes(r.imprint, 'imprint').length).toBe(
        encodeImprint(imprintOf('sha512', new Uint8Array(1))).length,
      );
  });

  it('gives a seal the same rows from memory (RecentEventRows) as read back (coveredEvents)', async () => {
    // Messages 11–18 over two shards, 12 carrying nothing that decodes, 15 an empty batch.
    const messages = [11, 12, 13, 14, 15, 16, 17, 18].map((seq) =>
      seq === 12
        ? { seq, subject: 'msi.events.0', data: new Uint8Array([0xff, 0x01]), storedAtUs: 0 }
        : message(
            seq,
            seq % 2,
            Array.from({ length: seq === 15 ? 0 : 5 + (seq % 3) }, (_, i) => eventBytes(seq * 10 + i)),
          ),
    );
    const rows = eventRowsOf(hasher, messages);
    await insertEvents(pool, rows);
    const recent = new RecentEventRows(64 * 1024 * 1024);
    recent.record(
      messages.map((m) => m.seq),
      rows,
    );
    const seals = [
      { shard: 0, streamStart: 11, streamEnd: 19 },
      { shard: 1, streamStart: 11, streamEnd: 19 },
      { shard: 1, streamStart: 13, streamEnd: 16 },
      { shard: 0, streamStart: 14, streamEnd: 15 },
    ];
    const read = await coveredEvents(pool, seals);
    const plain = (r: { canonical: Uint8Array; leafHash: Uint8Array; eventId: Uint8Array }) => ({
      ...r,
      canonical: Buffer.from(r.canonical).toString('hex'),
      leafHash: Buffer.from(r.leafHash).toString('hex'),
      eventId: Buffer.from(r.eventId).toString('hex'),
    });
    seals.forEach((seal, i) => {
      const held = recent.covered(seal);
      expect(held?.map(plain)).toEqual(read[i]?.map(plain));
    });
    expect(read[0]?.length).toBeGreaterThan(0);
  });
});
