import type { Migration } from '@msi/postgres';

/** The schema holding the verifier's projection. Dropping it (and the consumers) rebuilds from the streams. */
export const SCHEMA = 'verifier';
export const MIGRATIONS_TABLE = `${SCHEMA}.schema_migrations`;
/** Advisory lock key of the migrations ("MSIV"). */
export const MIGRATION_LOCK_KEY = 0x4d534956;

/** The projection tables, in the order a digest of the projection reads them, each with its key. */
export const PROJECTION_TABLES: readonly { readonly name: string; readonly key: string }[] = [
  { name: 'events', key: 'stream_seq, position' },
  { name: 'event_imprints', key: 'imprint, role, received_at_us, stream_seq, position' },
  { name: 'seals', key: 'stream_seq' },
  { name: 'seal_levels', key: 'seal_seq, level' },
  { name: 'rounds', key: 'k' },
  { name: 'round_seals', key: 'k, position' },
  { name: 'calendar_nodes', key: 'level, idx' },
  { name: 'checkpoints', key: 'size' },
  { name: 'cosigned_checkpoints', key: 'size' },
  { name: 'calendar_state', key: 'id' },
  { name: 'cursors', key: 'stream' },
  { name: 'integrity_failures', key: 'source, seq, kind' },
  { name: 'witness_heads', key: 'name, key_id' },
  { name: 'publications', key: 'stream_seq' },
  { name: 'sealed_batches', key: 'stream_seq' },
];

/**
 * Every event row with its seal (seal_seq) and leaf index in that seal (leaf_index), both NULL until
 * a verified seal covers its message: leaf_index = the message's first_leaf + the event's position −
 * the positions missing below it.
 */
const SEALED_EVENTS_VIEW = `CREATE VIEW ${SCHEMA}.sealed_events AS
  SELECT e.*, b.seal_seq,
    CASE WHEN b.gaps IS NULL THEN b.first_leaf + e.position
      ELSE b.first_leaf + e.position - (SELECT count(*) FROM unnest(b.gaps) AS g WHERE g < e.position)
    END AS leaf_index
  FROM ${SCHEMA}.events e LEFT JOIN ${SCHEMA}.sealed_batches b ON b.stream_seq = e.stream_seq;`;

/** The projection's migrations. No column holds a clock reading, so a rebuild reproduces every row. */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'projection tables',
    sql: `
CREATE TABLE ${SCHEMA}.events (
  stream_seq bigint NOT NULL,
  position integer NOT NULL,
  shard integer NOT NULL,
  tenant text NOT NULL,
  event_id bytea NOT NULL,
  kind smallint NOT NULL,
  data bytea NOT NULL,
  to_tenant text NOT NULL,
  received_at_us bigint NOT NULL,
  canonical bytea NOT NULL,
  leaf_hash bytea NOT NULL,
  seal_seq bigint,
  leaf_index bigint,
  PRIMARY KEY (stream_seq, position)
);
CREATE INDEX events_event_id ON ${SCHEMA}.events (event_id);
CREATE INDEX events_shard_seq ON ${SCHEMA}.events (shard, stream_seq);
CREATE TABLE ${SCHEMA}.event_imprints (
  imprint bytea NOT NULL,
  role text NOT NULL CHECK (role IN ('data', 'input', 'output')),
  stream_seq bigint NOT NULL,
  position integer NOT NULL,
  PRIMARY KEY (imprint, stream_seq, position, role)
);
CREATE TABLE ${SCHEMA}.seals (
  stream_seq bigint PRIMARY KEY,
  shard bigint NOT NULL,
  seal_number bigint NOT NULL,
  record bytea NOT NULL,
  stream_start bigint NOT NULL,
  stream_end bigint NOT NULL,
  leaf_count bigint NOT NULL,
  root bytea NOT NULL,
  verified boolean NOT NULL,
  detail text NOT NULL
);
CREATE INDEX seals_shard_number ON ${SCHEMA}.seals (shard, seal_number);
CREATE TABLE ${SCHEMA}.seal_levels (
  seal_seq bigint NOT NULL REFERENCES ${SCHEMA}.seals (stream_seq),
  level smallint NOT NULL,
  hashes bytea NOT NULL,
  PRIMARY KEY (seal_seq, level)
);
CREATE TABLE ${SCHEMA}.rounds (
  k bigint PRIMARY KEY,
  stream_seq bigint NOT NULL,
  record bytea NOT NULL,
  leaf_hash bytea NOT NULL,
  closed_at_us bigint NOT NULL,
  seal_count integer NOT NULL,
  root bytea NOT NULL,
  checkpoint text NOT NULL,
  verified boolean NOT NULL,
  detail text NOT NULL
);
CREATE INDEX rounds_closed_at ON ${SCHEMA}.rounds (closed_at_us);
CREATE TABLE ${SCHEMA}.round_seals (
  k bigint NOT NULL REFERENCES ${SCHEMA}.rounds (k),
  position integer NOT NULL,
  seal_seq bigint,
  record bytea NOT NULL,
  PRIMARY KEY (k, position)
);
CREATE INDEX round_seals_seal ON ${SCHEMA}.round_seals (seal_seq);
CREATE TABLE ${SCHEMA}.calendar_nodes (
  level smallint NOT NULL,
  idx bigint NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (level, idx)
);
CREATE TABLE ${SCHEMA}.checkpoints (
  size bigint PRIMARY KEY,
  root bytea NOT NULL,
  note text NOT NULL
);
CREATE TABLE ${SCHEMA}.calendar_state (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  size bigint NOT NULL,
  root bytea NOT NULL,
  range_hashes bytea NOT NULL,
  origin text NOT NULL
);
INSERT INTO ${SCHEMA}.calendar_state (size, root, range_hashes, origin) VALUES (0, sha256(''::bytea), ''::bytea, '');
CREATE TABLE ${SCHEMA}.cursors (
  stream text PRIMARY KEY,
  last_seq bigint NOT NULL
);
INSERT INTO ${SCHEMA}.cursors (stream, last_seq) VALUES ('events', 0), ('seals', 0), ('rounds', 0);
CREATE TABLE ${SCHEMA}.integrity_failures (
  source text NOT NULL,
  seq bigint NOT NULL,
  kind smallint NOT NULL,
  shard bigint NOT NULL,
  number bigint NOT NULL,
  detail text NOT NULL,
  PRIMARY KEY (source, seq, kind)
);`,
  },
  {
    id: 2,
    name: 'cosigned checkpoints',
    sql: `
CREATE TABLE ${SCHEMA}.cosigned_checkpoints (
  size bigint PRIMARY KEY REFERENCES ${SCHEMA}.checkpoints (size),
  note text NOT NULL,
  cosignature_count integer NOT NULL CHECK (cosignature_count > 0)
);
INSERT INTO ${SCHEMA}.cursors (stream, last_seq) VALUES ('checkpoints', 0);`,
  },
  {
    id: 3,
    name: 'the calendar follower state (core packFollowerState; NULL: derived from the last round once)',
    sql: `ALTER TABLE ${SCHEMA}.calendar_state ADD COLUMN follower bytea;`,
  },
  {
    id: 4,
    name: 'the shard map version of each seal (ShardSealed.shard_map_version; 0 = not known, as for seals projected before)',
    sql: `ALTER TABLE ${SCHEMA}.seals ADD COLUMN shard_map_version bigint NOT NULL DEFAULT 0;`,
  },
  {
    id: 5,
    name: 'actors, witness heads and publications (issue 18: SearchByActor, GetWitnessStatus, ListPublications)',
    // Rows projected before this migration get their actors and witness heads from backfill.ts at the
    // next start (decoded from the stored canonical bytes and notes by the core, never parsed in SQL):
    // \`backfills\` holds, per table, the bound below which rows remain to be filled.
    sql: `
CREATE TABLE ${SCHEMA}.event_actors (
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('actor', 'submitter')),
  received_at_us bigint NOT NULL,
  stream_seq bigint NOT NULL,
  position integer NOT NULL,
  PRIMARY KEY (name, received_at_us, stream_seq, position, role)
);
CREATE TABLE ${SCHEMA}.witness_heads (
  name text NOT NULL,
  key_id bigint NOT NULL,
  size bigint NOT NULL,
  cosigned_at_us bigint NOT NULL,
  PRIMARY KEY (name, key_id)
);
CREATE TABLE ${SCHEMA}.publications (
  stream_seq bigint PRIMARY KEY,
  time_us bigint NOT NULL,
  size bigint NOT NULL REFERENCES ${SCHEMA}.checkpoints (size),
  text text NOT NULL
);
CREATE INDEX publications_time ON ${SCHEMA}.publications (time_us DESC, stream_seq DESC);
INSERT INTO ${SCHEMA}.cursors (stream, last_seq) VALUES ('publications', 0);
CREATE TABLE ${SCHEMA}.backfills (
  name text PRIMARY KEY,
  below bigint NOT NULL
);
INSERT INTO ${SCHEMA}.backfills (name, below)
  SELECT 'event_actors', max(stream_seq) + 1 FROM ${SCHEMA}.events HAVING count(*) > 0;
INSERT INTO ${SCHEMA}.backfills (name, below)
  SELECT 'witness_heads', max(size) + 1 FROM ${SCHEMA}.cosigned_checkpoints HAVING count(*) > 0;`,
  },
  {
    id: 6,
    name: 'the leaves of a verified seal recorded per EventBatch message (sealed_batches), not per event',
    // Each event row used to be rewritten when its seal was verified (seal_seq, leaf_index): a second
    // write of every event, its canonical bytes and its three index entries. A message lies wholly
    // inside or outside a seal's stream range, so one row per message says it all: the seal, the leaf
    // index of its first event row, and the positions missing below its last row (events that did not
    // decode: no row, no leaf), NULL when there are none. The view sealed_events gives every event row
    // its seal_seq and leaf_index as before: the one place the rule is written.
    sql: `
CREATE TABLE ${SCHEMA}.sealed_batches (
  stream_seq bigint PRIMARY KEY,
  seal_seq bigint NOT NULL,
  first_leaf bigint NOT NULL,
  gaps integer[]
);
INSERT INTO ${SCHEMA}.sealed_batches (stream_seq, seal_seq, first_leaf, gaps)
  SELECT e.stream_seq, min(e.seal_seq), min(e.leaf_index),
    CASE WHEN count(*) = max(e.position) + 1 THEN NULL
      ELSE ARRAY(SELECT g FROM generate_series(0, max(e.position)) AS g WHERE g <> ALL (array_agg(e.position)))
    END
  FROM ${SCHEMA}.events e WHERE e.seal_seq IS NOT NULL GROUP BY e.stream_seq;
ALTER TABLE ${SCHEMA}.events DROP COLUMN seal_seq, DROP COLUMN leaf_index;
${SEALED_EVENTS_VIEW}`,
  },
  {
    id: 7,
    name: 'actors, submitters and data imprints indexed on the event rows (issue 14: one row per event)',
    // Each event was written as four to five rows: its row in events, its data imprint again in
    // event_imprints and its actor and submitter in event_actors, each row with its own primary key.
    // The actor, the submitter and the data imprint (events.data, the same bytes) are now indexed on
    // the event row itself; event_imprints keeps PROCESS inputs and outputs only. Rows of events
    // projected before migration 5 and not yet backfilled keep NULL actor and submitter until
    // backfill.ts fills them (backfills row 'event_actors', as before). The view is made again: its
    // e.* was expanded when it was created.
    sql: `
ALTER TABLE ${SCHEMA}.events ADD COLUMN actor text, ADD COLUMN submitter text;
UPDATE ${SCHEMA}.events e SET actor = a.actor, submitter = a.submitter
  FROM (SELECT stream_seq, position, max(name) FILTER (WHERE role = 'actor') AS actor,
          max(name) FILTER (WHERE role = 'submitter') AS submitter
        FROM ${SCHEMA}.event_actors GROUP BY stream_seq, position) a
  WHERE e.stream_seq = a.stream_seq AND e.position = a.position;
DROP TABLE ${SCHEMA}.event_actors;
CREATE INDEX events_actor ON ${SCHEMA}.events (actor, received_at_us, stream_seq, position);
CREATE INDEX events_submitter ON ${SCHEMA}.events (submitter, received_at_us, stream_seq, position);
CREATE INDEX events_data ON ${SCHEMA}.events (data);
DELETE FROM ${SCHEMA}.event_imprints WHERE role = 'data';
DROP VIEW ${SCHEMA}.sealed_events;
${SEALED_EVENTS_VIEW}`,
  },
  {
    id: 8,
    name: 'event ids and data imprints indexed by hash (issue 14: the projection writes them for every event)',
    // Both are only ever looked up by equality (GetReceipt's and WatchReceipts' ids, GetHistory's and
    // the lineage walk's imprints), never by range or order. A B-tree entry per event cost Postgres
    // 2–3.5 µs per row for the random 33-byte imprints and 2–2.5 µs for the ids; a hash index entry,
    // 0.4–1.2 µs (psql, 100,000-row INSERT … SELECT into a copy of the events table, PG 15).
    sql: `
CREATE INDEX events_event_id_hash ON ${SCHEMA}.events USING hash (event_id);
CREATE INDEX events_data_hash ON ${SCHEMA}.events USING hash (data);
DROP INDEX ${SCHEMA}.events_event_id;
DROP INDEX ${SCHEMA}.events_data;`,
  },
  {
    id: 9,
    name: 'event ids and data imprints indexed by B-tree again (issue 14: a hash index costs more with every row)',
    // Measured by bench:event-index (PG 15, 1,600,000 rows inserted in four quarters; what the index
    // added per row, quarter by quarter). A hash index keeps every entry of one key in one bucket, and
    // each insert walks that bucket's chain of overflow pages to its end: once a data imprint repeats
    // (every event about a data item names it; a hot dataset is named by millions), an insert costs in
    // proportion to the rows already naming it. With 16 distinct imprints the hash index added +5.2,
    // +14.9, +24.7, +34.0 µs (and growing), the B-tree +1.2 to +1.6 µs, since it appends a repeated
    // key's new entries at the end of its range (and deduplicates them: 10 MiB against 79). Event ids
    // are UUIDv7s within the dedup window, so nearly in time order: a B-tree inserts them at its
    // right edge, +0.6 to +0.8 µs flat, where the hash index's random buckets cost +1.1 to +2.1 µs as
    // it grew; ids whose times lie anywhere in the window (a day's events resent) cost the B-tree +1.9
    // to +3.5 µs, the hash index +1.1 to +2.1, both bounded. Only for imprints that never repeat
    // (and ids so resent) was the hash index cheaper (+1.3 to +2.1 µs against +2.4 to +4.0); with
    // 4,096 (the pipeline bench's datasets) they were alike (+1.1 to +1.9 against +1.4 to +1.9): a
    // bounded cost is worth that. The imprint's index holds the kind too, so
    // that the lineage walk's TRANSFERs of a hot imprint are found without reading its every ACCESS.
    sql: `
CREATE INDEX events_event_id ON ${SCHEMA}.events (event_id);
CREATE INDEX events_data ON ${SCHEMA}.events (data, kind);
DROP INDEX ${SCHEMA}.events_event_id_hash;
DROP INDEX ${SCHEMA}.events_data_hash;`,
  },
  {
    id: 10,
    name: 'custody history read in keyset pages (issue 14: a page of a hot imprint read every event naming it)',
    // GetHistory lists an imprint's events by (received_at, stream position). The imprint's indexes
    // had no received_at, so each page read every row naming the imprint, sorted them and skipped an
    // offset: a dataset named by millions of events made every page cost seconds. Both indexes now
    // hold that order: the event row's after the imprint and its kind (the lineage walk's TRANSFERs
    // of an imprint stay an index condition; a page merges one ordered scan per kind), event_imprints'
    // after the imprint and the role (a page of outputs never walks the inputs, nor does the lineage
    // walk), with the event's received_at copied into it (never changed afterwards). So a page reads
    // its own rows, and its token is its last entry's key (page-token.ts). An input or output row
    // whose event row is missing (none is written without one) would be listed by nothing; it is
    // dropped rather than left without a time.
    sql: `
ALTER TABLE ${SCHEMA}.event_imprints ADD COLUMN received_at_us bigint;
UPDATE ${SCHEMA}.event_imprints i SET received_at_us = e.received_at_us
  FROM ${SCHEMA}.events e WHERE e.stream_seq = i.stream_seq AND e.position = i.position;
DELETE FROM ${SCHEMA}.event_imprints WHERE received_at_us IS NULL;
ALTER TABLE ${SCHEMA}.event_imprints ALTER COLUMN received_at_us SET NOT NULL,
  DROP CONSTRAINT event_imprints_pkey,
  ADD PRIMARY KEY (imprint, role, received_at_us, stream_seq, position);
CREATE INDEX events_data_received ON ${SCHEMA}.events (data, kind, received_at_us, stream_seq, position);
DROP INDEX ${SCHEMA}.events_data;
ALTER INDEX ${SCHEMA}.events_data_received RENAME TO events_data;`,
  },
];
