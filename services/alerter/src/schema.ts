import type { Migration } from '@msi/postgres';
import { webhookTablesSql } from './webhook-store.js';

/** The streams the alerter follows; each has a cursor row in `alerter.cursors`. */
export type PumpKey = 'events' | 'seals' | 'rounds' | 'checkpoints' | 'security' | 'integrity';

/**
 * The JetStream consumer each pump reads through: named, recreated at the pump's cursor whenever it
 * (re)starts, as the verifier's are. With ordered (ephemeral) consumers, the alerter applied nothing
 * for ~45 s after its process had been paused for 20 s under load (SIGSTOP, `bench:pipeline
 * --consumers --drain`: a frozen VM or container does the same), where named ones resumed within 2 s.
 */
export const consumerName = (key: PumpKey): string => `alerter_${key}`;

/** The schema holding the alerter's state: alerts, stream cursors, custody state, calendar view. */
export const SCHEMA = 'alerter';
export const MIGRATIONS_TABLE = `${SCHEMA}.schema_migrations`;
/** Advisory lock key of the migrations ("MSIA"). */
export const MIGRATION_LOCK_KEY = 0x4d534941;
/** Advisory lock held by the active alerter (one consumes the streams; others stand by and serve). */
export const LEADER_LOCK_KEY = 0x4d53414c;
/** Transaction-scoped advisory lock serialising alert inserts, so sequence order is commit order. */
export const ALERT_SEQUENCE_LOCK_KEY = 0x4d534153;
/** The Postgres NOTIFY channel announcing a committed alert (payload: its sequence). */
export const ALERT_CHANNEL = 'msi_alerter_alerts';

/** The alerter's migrations. */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'alerts, cursors, staging, custody and calendar state',
    sql: `
CREATE TABLE ${SCHEMA}.alerts (
  sequence bigint PRIMARY KEY,
  alert_id text NOT NULL UNIQUE,
  rule text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  category text NOT NULL CHECK (category IN ('policy', 'custody', 'integrity')),
  tenant text NOT NULL,
  message text NOT NULL,
  dedupe_key text NOT NULL,
  event_ids bytea[] NOT NULL,
  anchored_round bigint,
  first_seen_us bigint NOT NULL,
  last_seen_us bigint NOT NULL,
  occurrences bigint NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'acknowledged')),
  acknowledged_by text NOT NULL DEFAULT '',
  acknowledged_at_us bigint NOT NULL DEFAULT 0,
  acknowledge_note text NOT NULL DEFAULT '',
  details jsonb NOT NULL,
  policy_digest text NOT NULL,
  published boolean NOT NULL DEFAULT false
);
CREATE INDEX alerts_open_dedupe ON ${SCHEMA}.alerts (dedupe_key, sequence DESC) WHERE status = 'open';
CREATE INDEX alerts_unpublished ON ${SCHEMA}.alerts (sequence) WHERE NOT published;
CREATE INDEX alerts_tenant ON ${SCHEMA}.alerts (tenant, sequence DESC);
CREATE INDEX alerts_unanchored_event ON ${SCHEMA}.alerts ((event_ids[1])) WHERE anchored_round IS NULL;
CREATE TABLE ${SCHEMA}.cursors (
  stream text PRIMARY KEY,
  last_seq bigint NOT NULL
);
INSERT INTO ${SCHEMA}.cursors (stream, last_seq) VALUES
  ('events', 0), ('seals', 0), ('rounds', 0), ('checkpoints', 0), ('security', 0), ('integrity', 0);
CREATE TABLE ${SCHEMA}.staged_batches (
  stream_seq bigint PRIMARY KEY,
  shard integer NOT NULL,
  batch bytea NOT NULL,
  max_received_at_us bigint NOT NULL,
  flagged bytea[] NOT NULL
);
CREATE INDEX staged_batches_shard ON ${SCHEMA}.staged_batches (shard, stream_seq);
CREATE TABLE ${SCHEMA}.shards (
  shard integer PRIMARY KEY,
  sealed_end bigint NOT NULL
);
CREATE TABLE ${SCHEMA}.pending_seals (
  shard integer NOT NULL,
  seal_number bigint NOT NULL,
  stream_seq bigint NOT NULL,
  seen_at_us bigint NOT NULL,
  PRIMARY KEY (shard, seal_number)
);
CREATE TABLE ${SCHEMA}.calendar (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  size bigint NOT NULL,
  range_hashes bytea NOT NULL,
  origin text NOT NULL,
  last_closed_at_us bigint NOT NULL,
  last_round_at_us bigint NOT NULL,
  interval_ms integer NOT NULL,
  broken text NOT NULL
);
INSERT INTO ${SCHEMA}.calendar VALUES (true, 0, ''::bytea, '', 0, 0, 1000, '');
CREATE TABLE ${SCHEMA}.rounds (
  k bigint PRIMARY KEY,
  leaf_hash bytea NOT NULL,
  closed_at_us bigint NOT NULL,
  root bytea NOT NULL
);
CREATE TABLE ${SCHEMA}.pending_checkpoints (
  size bigint NOT NULL,
  root bytea NOT NULL,
  note text NOT NULL,
  PRIMARY KEY (size, root)
);
CREATE TABLE ${SCHEMA}.custody_items (
  imprint bytea PRIMARY KEY,
  provenance boolean NOT NULL,
  first_round bigint NOT NULL
);
CREATE TABLE ${SCHEMA}.custody_deletions (
  tenant text NOT NULL,
  imprint bytea NOT NULL,
  round bigint NOT NULL,
  event_id bytea NOT NULL,
  PRIMARY KEY (tenant, imprint)
);
CREATE TABLE ${SCHEMA}.facts (
  tenant text NOT NULL,
  imprint bytea NOT NULL,
  name text NOT NULL,
  value text NOT NULL,
  round bigint NOT NULL,
  PRIMARY KEY (tenant, imprint, name)
);
CREATE INDEX facts_imprint ON ${SCHEMA}.facts (imprint);
CREATE TABLE ${SCHEMA}.auth_failures (
  peer text NOT NULL,
  at_us bigint NOT NULL,
  stream_seq bigint NOT NULL,
  PRIMARY KEY (peer, at_us, stream_seq)
);
`,
  },
  { id: 2, name: 'webhook deliveries', sql: webhookTablesSql(SCHEMA) },
  {
    id: 3,
    name: 'staged batches keep no bytes (the events stream holds them)',
    sql: `ALTER TABLE ${SCHEMA}.staged_batches DROP COLUMN batch`,
  },
  {
    id: 4,
    name: 'the calendar follower state (core packFollowerState; NULL before, or once broken by a gap)',
    sql: `ALTER TABLE ${SCHEMA}.calendar ADD COLUMN follower bytea`,
  },
];
