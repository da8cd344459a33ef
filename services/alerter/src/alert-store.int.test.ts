import { createPool, type Pool, type PoolClient } from '@msi/postgres';
import { useWorld } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlertCandidate, alertIdOf, MAX_ALERT_EVENT_IDS } from './alert.js';
import { acknowledgeAlert, type Raised, raiseAlerts } from './alert-store.js';
import { prepareAlerterSchema } from './alerter.js';
import { SCHEMA } from './schema.js';

/*
 * Raising many candidates in one call decides and stores exactly what raising them one by one does:
 * repetitions within the window, a stale open alert, an acknowledged one, a replayed occurrence, the
 * event-id cap, and a repetition of an alert created earlier in the same call.
 */
const world = useWorld({ label: 'alert_store', database: true });
let pool: Pool;

beforeAll(async () => {
  pool = createPool({ connectionString: world.databaseUrl, max: 2 });
  await prepareAlerterSchema(pool);
});

afterAll(async () => {
  await pool?.end();
});

const WINDOW_US = 600_000_000;

let n = 0;
function candidate(dedupeKey: string, atUs: number, trigger = `t${++n}`): AlertCandidate {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(12, ++n);
  return {
    rule: 'unknown-provenance',
    severity: 'high',
    category: 'custody',
    tenant: 'acme',
    message: `violation of ${dedupeKey}\u0000`,
    dedupeKey,
    dedupeWindowUs: WINDOW_US,
    eventIds: [id],
    anchoredRound: 7,
    atUs,
    trigger,
    details: { data: dedupeKey },
    policyDigest: 'p1',
  };
}

async function inTransaction<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query('COMMIT');
    return result;
  } catch (error) {
    await tx.query('ROLLBACK');
    throw error;
  } finally {
    tx.release();
  }
}

async function storedAlerts(): Promise<unknown[]> {
  const { rows } = await pool.query(
    `SELECT sequence, alert_id, rule, severity, category, tenant, message, dedupe_key, event_ids, anchored_round,
       first_seen_us, last_seen_us, occurrences, status, details, policy_digest
     FROM ${SCHEMA}.alerts ORDER BY sequence`,
  );
  return rows;
}

const summary = (raised: readonly Raised[]) =>
  raised.map((r) => {
    const { sequence, alertId } = r.created ? r.alert : r.repeated;
    return { created: r.created, sequence, alertId };
  });

describe('raiseAlerts', () => {
  it('decides and stores a whole message’s candidates as raising them one by one would', async () => {
    const t0 = 1_000_000_000;
    // Before: an alert that will be acknowledged, and one whose last sighting falls out of the window.
    const acknowledged = candidate('acked', t0);
    const stale = candidate('stale', t0);
    const later = t0 + 2 * WINDOW_US;
    const batch: AlertCandidate[] = [
      candidate('a', later),
      ...Array.from({ length: MAX_ALERT_EVENT_IDS + 5 }, (_, i) => candidate('a', later + i)),
      candidate('b', later + 10),
      // a replayed occurrence of the acknowledged alert: nothing new
      { ...acknowledged, atUs: later },
      // the acknowledged alert's key again: not open, so a new alert
      candidate('acked', later + 20),
      // the stale alert's key: its window has passed, so a new alert
      candidate('stale', later + 30),
      candidate('b', later + 40),
      // two sightings of one key further apart than the window, within the call: two alerts
      candidate('w', later),
      candidate('w', later + WINDOW_US + 1),
    ];

    const setUp = async () => {
      await pool.query(`TRUNCATE ${SCHEMA}.alerts`);
      await inTransaction((tx) => raiseAlerts(tx, [acknowledged, stale]));
      await acknowledgeAlert(pool, alertIdOf(acknowledged), 'auditor', 'seen', t0 + 1);
    };

    await setUp();
    const oneByOne: Raised[] = [];
    for (const c of batch) oneByOne.push(...(await inTransaction((tx) => raiseAlerts(tx, [c]))));
    const storedOneByOne = await storedAlerts();

    await setUp();
    const atOnce = await inTransaction((tx) => raiseAlerts(tx, batch));
    const storedAtOnce = await storedAlerts();

    expect(summary(atOnce)).toEqual(summary(oneByOne));
    expect(storedAtOnce).toEqual(storedOneByOne);

    // And what both decided: 2 before, then new alerts for 'a', 'b', 'acked', 'stale' and twice 'w'.
    expect(storedAtOnce).toHaveLength(8);
    expect(atOnce.flatMap((r) => (r.created ? [r.alert.dedupeKey] : []))).toEqual([
      'a',
      'b',
      'acked',
      'stale',
      'w',
      'w',
    ]);
    const first = atOnce[0];
    const a = first?.created === true ? first.alert : undefined;
    expect(a?.sequence).toBe(3);
    expect(a?.occurrences).toBe(1); // as created
    expect(a?.message).toBe('violation of a\uFFFD');
    const aStored = (
      storedAtOnce as { dedupe_key: string; occurrences: string; event_ids: unknown[] }[]
    ).find((row) => row.dedupe_key === 'a');
    expect(Number(aStored?.occurrences)).toBe(MAX_ALERT_EVENT_IDS + 6);
    expect(aStored?.event_ids).toHaveLength(MAX_ALERT_EVENT_IDS);
    const replay = atOnce[MAX_ALERT_EVENT_IDS + 7];
    expect(replay).toMatchObject({
      created: false,
      repeated: { alertId: alertIdOf(acknowledged), status: 'acknowledged' },
    });
    expect(atOnce.at(-3)).toMatchObject({ created: false, repeated: { dedupeKey: 'b', sequence: 4 } });
  });

  it('raises nothing for no candidates', async () => {
    const before = await storedAlerts();
    expect(await inTransaction((tx) => raiseAlerts(tx, []))).toEqual([]);
    expect(await storedAlerts()).toEqual(before);
  });
});
