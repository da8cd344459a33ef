import type { Migration } from '@msi/postgres';

/** The schema holding every calendar table. */
export const SCHEMA = 'calendar';

/** The log tables of migration 1 (fixed: a migration's SQL never changes once applied). */
const V1_LOG_TABLES = ['calendar_meta', 'rounds', 'round_seals', 'calendar_nodes', 'checkpoints'] as const;

/** The log tables: rows are only ever inserted (privileges and triggers refuse the rest). */
export const LOG_TABLES = [...V1_LOG_TABLES, 'cosignatures', 'publications'] as const;

/** Where migrate() records applied migrations, and its advisory lock key ("MSIC"). */
export const MIGRATIONS_TABLE = `${SCHEMA}.schema_migrations`;
export const MIGRATION_LOCK_KEY = 0x4d534943;

const refuse = (table: string): string => `
CREATE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON ${SCHEMA}.${table}
  FOR EACH ROW EXECUTE FUNCTION ${SCHEMA}.refuse_change();
CREATE TRIGGER ${table}_no_update_delete_statement BEFORE UPDATE OR DELETE ON ${SCHEMA}.${table}
  FOR EACH STATEMENT EXECUTE FUNCTION ${SCHEMA}.refuse_change();
CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${SCHEMA}.${table}
  FOR EACH STATEMENT EXECUTE FUNCTION ${SCHEMA}.refuse_change();`;

/**
 * The calendar's migrations (run by the owner, MSI_CALENDAR_MIGRATION_URL). Gaplessness is structural:
 * round k references round k − 1; a checkpoint references the round it ends with; the writer row can
 * only move to the size the rounds table has.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'calendar tables',
    sql: `
CREATE TABLE ${SCHEMA}.calendar_meta (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  origin text NOT NULL,
  interval_ms integer NOT NULL CHECK (interval_ms > 0),
  verifier_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${SCHEMA}.rounds (
  k bigint PRIMARY KEY CHECK (k >= 0),
  previous bigint REFERENCES ${SCHEMA}.rounds (k),
  record bytea NOT NULL CHECK (length(record) = 77),
  leaf_hash bytea NOT NULL CHECK (length(leaf_hash) = 32),
  closed_at_us bigint NOT NULL CHECK (closed_at_us > 0),
  seals_start bigint NOT NULL,
  seals_end bigint NOT NULL CHECK (seals_end >= seals_start),
  seal_count integer NOT NULL CHECK (seal_count >= 0),
  root bytea NOT NULL CHECK (length(root) = 32),
  writer text NOT NULL,
  replayed boolean NOT NULL,
  appended_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((k = 0 AND previous IS NULL) OR previous = k - 1)
);
CREATE TABLE ${SCHEMA}.round_seals (
  k bigint NOT NULL REFERENCES ${SCHEMA}.rounds (k),
  position integer NOT NULL CHECK (position >= 0),
  shard bigint NOT NULL,
  seal_number bigint NOT NULL,
  record bytea NOT NULL,
  PRIMARY KEY (k, position),
  UNIQUE (shard, seal_number)
);
CREATE TABLE ${SCHEMA}.calendar_nodes (
  level smallint NOT NULL CHECK (level >= 0 AND level < 64),
  idx bigint NOT NULL CHECK (idx >= 0),
  hash bytea NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
);
CREATE TABLE ${SCHEMA}.checkpoints (
  size bigint PRIMARY KEY CHECK (size > 0),
  last_round bigint NOT NULL UNIQUE REFERENCES ${SCHEMA}.rounds (k),
  root bytea NOT NULL CHECK (length(root) = 32),
  note text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (last_round = size - 1)
);
CREATE TABLE ${SCHEMA}.calendar_writer (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  size bigint NOT NULL CHECK (size >= 0),
  root bytea NOT NULL CHECK (length(root) = 32),
  range_hashes bytea NOT NULL,
  owner text,
  lease_until_ms bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ${SCHEMA}.calendar_writer (size, root, range_hashes) VALUES (0, sha256(''::bytea), ''::bytea);
CREATE TABLE ${SCHEMA}.outbox (
  id bigserial PRIMARY KEY,
  k bigint NOT NULL UNIQUE REFERENCES ${SCHEMA}.rounds (k),
  subject text NOT NULL,
  msg_id text NOT NULL,
  payload bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_unpublished ON ${SCHEMA}.outbox (k) WHERE published_at IS NULL;

CREATE FUNCTION ${SCHEMA}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'calendar table %.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
${V1_LOG_TABLES.map(refuse).join('\n')}

-- The writer row: never deleted; its tree moves only forward by one round, to a stored checkpoint.
CREATE FUNCTION ${SCHEMA}.check_writer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'calendar_writer: % refused', TG_OP USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.size = OLD.size THEN
    IF NEW.root <> OLD.root OR NEW.range_hashes <> OLD.range_hashes THEN
      RAISE EXCEPTION 'calendar_writer: the tree of size % cannot change', OLD.size
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  ELSIF NEW.size <> OLD.size + 1
      OR NOT EXISTS (SELECT 1 FROM ${SCHEMA}.checkpoints WHERE size = NEW.size AND root = NEW.root) THEN
    RAISE EXCEPTION 'calendar_writer: size % -> % refused (one round at a time, to its checkpoint)',
      OLD.size, NEW.size USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER calendar_writer_check BEFORE UPDATE OR DELETE ON ${SCHEMA}.calendar_writer
  FOR EACH ROW EXECUTE FUNCTION ${SCHEMA}.check_writer();
CREATE TRIGGER calendar_writer_no_truncate BEFORE TRUNCATE ON ${SCHEMA}.calendar_writer
  FOR EACH STATEMENT EXECUTE FUNCTION ${SCHEMA}.refuse_change();

-- The outbox: rows are never deleted; an update may only set published_at, once.
CREATE FUNCTION ${SCHEMA}.check_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR OLD.published_at IS NOT NULL OR NEW.published_at IS NULL
     OR (NEW.id, NEW.k, NEW.subject, NEW.msg_id, NEW.payload, NEW.created_at)
        IS DISTINCT FROM (OLD.id, OLD.k, OLD.subject, OLD.msg_id, OLD.payload, OLD.created_at) THEN
    RAISE EXCEPTION 'calendar outbox: % refused (only published_at may be set, once)', TG_OP
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER outbox_check BEFORE UPDATE OR DELETE ON ${SCHEMA}.outbox
  FOR EACH ROW EXECUTE FUNCTION ${SCHEMA}.check_outbox();
CREATE TRIGGER outbox_no_truncate BEFORE TRUNCATE ON ${SCHEMA}.outbox
  FOR EACH STATEMENT EXECUTE FUNCTION ${SCHEMA}.refuse_change();
`,
  },
  {
    id: 2,
    name: 'witness cosignatures',
    sql: `
-- Per witness (its key name): the size of the last checkpoint it cosigned (or told us it holds).
CREATE TABLE ${SCHEMA}.witness_state (
  witness text PRIMARY KEY,
  size bigint NOT NULL CHECK (size >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Verified cosignature lines, one per witness and checkpoint; insert-only like the other log tables.
CREATE TABLE ${SCHEMA}.cosignatures (
  size bigint NOT NULL REFERENCES ${SCHEMA}.checkpoints (size),
  witness text NOT NULL,
  line text NOT NULL CHECK (line LIKE '— % %' AND right(line, 1) = E'\\n'),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (size, witness)
);
${refuse('cosignatures')}
`,
  },
  {
    id: 3,
    name: 'publications',
    sql: `
-- Periodic publications: the newest (cosigned) checkpoint at a wall-clock multiple of the publication
-- interval, as formatPublication text; one per publication time (seconds), insert-only.
CREATE TABLE ${SCHEMA}.publications (
  time bigint PRIMARY KEY CHECK (time > 0),
  size bigint NOT NULL REFERENCES ${SCHEMA}.checkpoints (size),
  text text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
${refuse('publications')}
`,
  },
];

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** True for a role name this service accepts (lower-case SQL identifier, used unquoted). */
export function isValidRoleName(name: string): boolean {
  return ROLE_NAME.test(name);
}

/**
 * The statements (run by the owner at every start; idempotent) that give the application role exactly
 * what appending needs: SELECT and INSERT on the log tables, UPDATE only on the writer row and on the
 * outbox's published_at; never UPDATE, DELETE or TRUNCATE on the log. The role is created (NOLOGIN) if
 * absent; grant it to the login role the service uses, or give it LOGIN and a password.
 * Precondition: isValidRoleName(role).
 */
export function appRoleStatements(role: string): string[] {
  if (!isValidRoleName(role)) throw new Error(`invalid role name ${JSON.stringify(role)}`);
  const all = [...LOG_TABLES, 'calendar_writer', 'outbox', 'witness_state']
    .map((t) => `${SCHEMA}.${t}`)
    .join(', ');
  const log = LOG_TABLES.filter((t) => t !== 'calendar_meta')
    .map((t) => `${SCHEMA}.${t}`)
    .join(', ');
  return [
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} NOLOGIN; END IF;
     EXCEPTION WHEN duplicate_object THEN NULL;
     END $$`,
    `REVOKE ALL ON ${all} FROM PUBLIC`,
    `REVOKE ALL ON ${all} FROM ${role}`,
    `GRANT USAGE ON SCHEMA ${SCHEMA} TO ${role}`,
    `GRANT SELECT ON ${SCHEMA}.calendar_meta TO ${role}`,
    `GRANT SELECT, INSERT ON ${log} TO ${role}`,
    `GRANT SELECT, UPDATE ON ${SCHEMA}.calendar_writer TO ${role}`,
    `GRANT SELECT, INSERT ON ${SCHEMA}.outbox TO ${role}`,
    `GRANT UPDATE (published_at) ON ${SCHEMA}.outbox TO ${role}`,
    `GRANT USAGE ON SEQUENCE ${SCHEMA}.outbox_id_seq TO ${role}`,
    `GRANT SELECT, INSERT, UPDATE ON ${SCHEMA}.witness_state TO ${role}`,
  ];
}
