import type { DataEvent } from '@msi/core';
import { PackedColumn, type PoolClient, toBytes, toSafeInteger, toText } from '@msi/postgres';
import { CustodyState, keyBytes, splitDeletionKey, splitFactKey } from './custody.js';
import { SCHEMA } from './schema.js';
import { storableText } from './storable-text.js';

/** The items of a PackedColumn's parameters ($1 bytes, $2 starts, $3 lengths) as a bytea[] in SQL. */
const ITEMS = `ARRAY(SELECT substring($1::bytea FROM t.at FOR t.len) FROM unnest($2::int[], $3::int[]) AS t(at, len))`;

/** Loads the custody state of every item the events name (data, inputs, outputs). */
export async function loadCustody(tx: PoolClient, events: readonly DataEvent[]): Promise<CustodyState> {
  const state = new CustodyState();
  // Each named item once, packed in one binary parameter (no hex text of thousands of imprints to
  // build here and parse there, three times a round); in SQL the array of them (ITEMS).
  const seen = new Set<string>();
  const packed = new PackedColumn();
  for (const event of events) {
    for (const item of [event.data, ...event.inputs, ...event.outputs]) {
      const { key, wire } = state.wireFormOf(item);
      if (seen.has(key)) continue;
      seen.add(key);
      packed.push(wire);
    }
  }
  const imprints = packed.parameters();
  const items = await tx.query(
    `SELECT imprint, provenance, first_round FROM ${SCHEMA}.custody_items WHERE imprint = ANY(${ITEMS})`,
    imprints,
  );
  for (const row of items.rows) {
    state.loadItem(toBytes(row.imprint, 'imprint'), {
      provenance: Boolean(row.provenance),
      firstRound: toSafeInteger(row.first_round, 'first_round'),
    });
  }
  const deletions = await tx.query(
    `SELECT tenant, imprint, round, event_id FROM ${SCHEMA}.custody_deletions WHERE imprint = ANY(${ITEMS})`,
    imprints,
  );
  for (const row of deletions.rows) {
    state.loadDeletion(toText(row.tenant, 'tenant'), toBytes(row.imprint, 'imprint'), {
      round: toSafeInteger(row.round, 'round'),
      eventId: toBytes(row.event_id, 'event_id'),
    });
  }
  const facts = await tx.query(
    `SELECT tenant, imprint, name, value FROM ${SCHEMA}.facts WHERE imprint = ANY(${ITEMS})`,
    imprints,
  );
  for (const row of facts.rows) {
    state.loadFact(
      toText(row.tenant, 'tenant'),
      toBytes(row.imprint, 'imprint'),
      toText(row.name, 'name'),
      toText(row.value, 'value'),
    );
  }
  return state;
}

/** Writes back what the round changed. */
export async function saveCustody(tx: PoolClient, state: CustodyState, round: number): Promise<void> {
  const items = [...state.changedItems].map((key) => ({ key, item: state.items.get(key) }));
  if (items.length > 0) {
    await tx.query(
      `INSERT INTO ${SCHEMA}.custody_items (imprint, provenance, first_round)
       SELECT * FROM unnest($1::bytea[], $2::boolean[], $3::bigint[])
       ON CONFLICT (imprint) DO UPDATE SET provenance = excluded.provenance`,
      [
        items.map(({ key }) => keyBytes(key)),
        items.map(({ item }) => item?.provenance ?? false),
        items.map(({ item }) => item?.firstRound ?? round),
      ],
    );
  }
  for (const key of state.changedDeletions) {
    const [tenant, item] = splitDeletionKey(key);
    const deletion = state.deletions.get(key);
    const imprint = keyBytes(item);
    if (deletion === undefined) {
      await tx.query(
        `DELETE FROM ${SCHEMA}.custody_deletions WHERE tenant = $1::text AND imprint = $2::bytea`,
        [tenant, imprint],
      );
    } else {
      await tx.query(
        `INSERT INTO ${SCHEMA}.custody_deletions (tenant, imprint, round, event_id) VALUES ($1::text, $2::bytea, $3::int8, $4::bytea)
         ON CONFLICT (tenant, imprint) DO UPDATE SET round = excluded.round, event_id = excluded.event_id`,
        [tenant, imprint, deletion.round, Buffer.from(deletion.eventId)],
      );
    }
  }
  for (const key of state.changedFacts) {
    const [tenant, item, name] = splitFactKey(key);
    const value = state.facts.get(key);
    const imprint = keyBytes(item);
    if (value === undefined) {
      await tx.query(
        `DELETE FROM ${SCHEMA}.facts WHERE tenant = $1::text AND imprint = $2::bytea AND name = $3::text`,
        [tenant, imprint, name],
      );
    } else {
      await tx.query(
        `INSERT INTO ${SCHEMA}.facts (tenant, imprint, name, value, round) VALUES ($1::text, $2::bytea, $3::text, $4::text, $5::int8)
         ON CONFLICT (tenant, imprint, name) DO UPDATE SET value = excluded.value, round = excluded.round`,
        [tenant, imprint, name, storableText(value), round],
      );
    }
  }
}
