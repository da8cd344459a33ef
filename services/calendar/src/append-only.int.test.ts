import { randomBytes } from 'node:crypto';
import { createPool, type Pool } from '@msi/postgres';
import { createLogger } from '@msi/service-kit';
import { eventually } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSeal } from './fixtures.test-helper.js';
import {
  calendarSizeOf,
  type Namespace,
  openNamespace,
  publishSeal,
  startInProcess,
  storedRounds,
} from './integration.test-helper.js';
import { publishNow } from './publication-publisher.js';
import { latestPublication } from './publication-store.js';
import { SCHEMA } from './schema.js';

const INTERVAL = 200;
let ns: Namespace;
let app: Pool;
let stop: () => Promise<void> = async () => {};
const role = `calendar_app_${randomBytes(4).toString('hex')}`;
const password = randomBytes(12).toString('hex');

beforeAll(async () => {
  ns = await openNamespace();
  await ns.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  const url = new URL(ns.db.url);
  url.username = role;
  url.password = password;
  app = createPool({ connectionString: url.toString(), max: 2 });
  // The calendar itself appends as the application role: migrations and grants run as the owner.
  const started = await startInProcess(ns, {
    intervalMs: INTERVAL,
    instanceId: 'append-only-a',
    appRole: role,
    databaseUrl: url.toString(),
  });
  stop = started.stop;
  await publishSeal(ns, makeSeal(0, 0, Date.now() * 1000));
  await eventually('a round with a seal and 3 rounds', async () => {
    const rounds = await storedRounds(ns.pool);
    return rounds.length >= 3 && rounds.some((r) => r.sealCount > 0) ? true : undefined;
  });
  await eventually('the outbox row of round 0 published', async () => {
    const { rows } = await ns.pool.query(`SELECT 1 FROM ${SCHEMA}.outbox WHERE published_at IS NOT NULL`);
    return rows.length > 0 ? true : undefined;
  });
});

afterAll(async () => {
  await stop();
  await app?.end();
  await ns?.cleanup();
  await ns?.pool.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
});

const LOG = [
  'calendar_meta',
  'rounds',
  'round_seals',
  'calendar_nodes',
  'checkpoints',
  'cosignatures',
  'publications',
];

/** The SQLSTATE and message a statement fails with (it must fail). */
async function failure(pool: Pool, sql: string): Promise<{ code: string; message: string }> {
  try {
    await pool.query(sql);
  } catch (error: unknown) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error(`statement succeeded: ${sql}`);
}

/** A harmless-looking change of one column per table. */
const SET: Record<string, string> = {
  calendar_meta: 'origin = origin',
  rounds: 'writer = writer',
  round_seals: 'position = position',
  calendar_nodes: 'hash = hash',
  checkpoints: 'note = note',
  cosignatures: 'line = line',
  publications: 'text = text',
};

const changes = (table: string): [string, string][] => [
  ['UPDATE', `UPDATE ${SCHEMA}.${table} SET ${SET[table]}`],
  ['DELETE', `DELETE FROM ${SCHEMA}.${table}`],
  ['TRUNCATE', `TRUNCATE ${SCHEMA}.${table} CASCADE`],
];

describe('the calendar is append-only', () => {
  it('appends as the application role', async () => {
    expect(await calendarSizeOf(ns.pool)).toBeGreaterThanOrEqual(3);
    const rounds = await storedRounds(ns.pool);
    expect(rounds.every((r) => r.writer === 'append-only-a')).toBe(true);
  });

  describe.each(LOG)('%s', (table) => {
    it.each(changes(table))('refuses %s by the application role (no privilege)', async (_op, sql) => {
      expect((await failure(app, sql)).code).toBe('42501');
    });
    it.each(changes(table))('refuses %s by the owner (triggers)', async (_op, sql) => {
      const { code, message } = await failure(ns.pool, sql);
      expect(code).toBe('23000');
      expect(message).toMatch(/append-only|refused/);
    });
  });

  it('lets the application role only mark outbox rows published, once', async () => {
    expect((await failure(app, `DELETE FROM ${SCHEMA}.outbox`)).code).toBe('42501');
    expect((await failure(app, `UPDATE ${SCHEMA}.outbox SET payload = ''::bytea`)).code).toBe('42501');
    expect((await failure(app, `TRUNCATE ${SCHEMA}.outbox CASCADE`)).code).toBe('42501');
    const again = await failure(
      app,
      `UPDATE ${SCHEMA}.outbox SET published_at = now() WHERE published_at IS NOT NULL`,
    );
    expect(again.code).toBe('23000');
    expect((await failure(ns.pool, `DELETE FROM ${SCHEMA}.outbox`)).code).toBe('23000');
  });

  it('lets the writer row move only forward, one round at a time, to a stored checkpoint', async () => {
    expect((await failure(app, `DELETE FROM ${SCHEMA}.calendar_writer`)).code).toBe('42501');
    expect((await failure(ns.pool, `DELETE FROM ${SCHEMA}.calendar_writer`)).code).toBe('23000');
    expect((await failure(ns.pool, `TRUNCATE ${SCHEMA}.calendar_writer`)).code).toBe('23000');
    expect((await failure(app, `UPDATE ${SCHEMA}.calendar_writer SET size = size - 1`)).code).toBe('23000');
    expect((await failure(app, `UPDATE ${SCHEMA}.calendar_writer SET size = size + 1`)).code).toBe('23000');
    expect((await failure(app, `UPDATE ${SCHEMA}.calendar_writer SET root = sha256('x'::bytea)`)).code).toBe(
      '23000',
    );
  });

  it('lets the application role keep witness_state (insert, update)', async () => {
    await app.query(`INSERT INTO ${SCHEMA}.witness_state (witness, size) VALUES ('w.test', 1)`);
    await app.query(`UPDATE ${SCHEMA}.witness_state SET size = 2 WHERE witness = 'w.test'`);
    const { rows } = await app.query(`SELECT size FROM ${SCHEMA}.witness_state WHERE witness = 'w.test'`);
    expect(Number(rows[0]?.size)).toBe(2);
    expect((await failure(app, `TRUNCATE ${SCHEMA}.witness_state`)).code).toBe('42501');
  });

  it('lets the lease holder publish as the application role (insert-only)', async () => {
    const outcome = await publishNow({
      pool: app,
      js: ns.js,
      subjects: ns.subjects,
      instanceId: 'append-only-a',
      intervalMs: 1000,
      publishTimeoutMs: 2000,
      nowMs: Date.now,
      log: createLogger({ service: 'calendar', level: 'warn', write: () => {} }),
    });
    expect(outcome.kind).toBe('published');
    const stored = await latestPublication(app);
    expect(stored?.text).toContain('calendar.test/log');
    expect((await failure(app, `UPDATE ${SCHEMA}.publications SET text = text`)).code).toBe('42501');
  });

  it('refuses a round that leaves a gap, even from the owner', async () => {
    const size = await calendarSizeOf(ns.pool);
    const { code } = await failure(
      ns.pool,
      `INSERT INTO ${SCHEMA}.rounds (k, previous, record, leaf_hash, closed_at_us, seals_start, seals_end, seal_count, root, writer, replayed)
       VALUES (${size + 5}, ${size + 4}, decode(repeat('00', 77), 'hex'), sha256(''::bytea), 1, 1, 1, 0, sha256(''::bytea), 'x', false)`,
    );
    expect(code).toBe('23503');
  });
});
