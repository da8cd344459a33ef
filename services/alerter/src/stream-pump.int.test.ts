// @msi/service-kit's StreamPump (the alerter's six pumps and the verifier's five) against real NATS
// and Postgres, here because service-kit cannot depend on the testkit: a pump whose named consumer
// stops delivering while messages wait for it starts again from its cursor. nats.js's consume() never
// recreates a named consumer deleted from under it, and delivered nothing more after the server had
// dropped a paused alerter as a slow consumer (bench:pipeline --consumers --drain).
import { createPool } from '@msi/postgres';
import { createLogger, eachMessage, StreamPump } from '@msi/service-kit';
import { eventually, useWorld } from '@msi/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const world = useWorld({ label: 'stream_pump', nats: true, database: true });
const CONSUMER = 'pump_test';
let stream: string;
let subject: string;
let pool: ReturnType<typeof createPool>;
let logs = '';

beforeAll(async () => {
  stream = `${world.prefix.toUpperCase()}_PUMP_TEST`;
  subject = `${world.prefix}.pump-test`;
  const jsm = await jetstreamManager(world.nc);
  await jsm.streams.add({ name: stream, subjects: [subject] });
  world.defer(() => jsm.streams.delete(stream).catch(() => {}));
  pool = createPool({ connectionString: world.databaseUrl, max: 4 });
  await pool.query('CREATE TABLE pump_cursors (stream text PRIMARY KEY, last_seq bigint NOT NULL)');
  await pool.query(`INSERT INTO pump_cursors VALUES ('test', 0)`);
  await pool.query('CREATE TABLE pump_applied (seq bigint PRIMARY KEY)');
});

afterAll(async () => {
  await pool?.end();
});

async function applied(): Promise<number> {
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM pump_applied');
  return rows[0].n;
}

describe('a stream pump on a named consumer', () => {
  it('recreates the consumer at its cursor when it was deleted from under it, losing and repeating nothing', async () => {
    const js = jetstream(world.nc);
    const jsm = await jetstreamManager(world.nc);
    const pump = new StreamPump({
      key: 'test',
      js,
      pool,
      stream,
      filter: subject,
      cursorTable: 'pump_cursors',
      consumer: { name: CONSUMER, jsm },
      apply: eachMessage(async (message, tx) => {
        await tx.query('INSERT INTO pump_applied (seq) VALUES ($1::int8)', [message.seq]);
        return 'applied';
      }),
      stallCheckMs: 500,
      log: createLogger({
        service: 'test',
        level: 'warn',
        write: (line) => {
          logs += line;
        },
      }),
    });
    await pump.start();
    try {
      for (let i = 0; i < 5; i++) await js.publish(subject, new Uint8Array([i]));
      await eventually('the first 5 applied', async () => ((await applied()) === 5 ? true : undefined));

      await jsm.consumers.delete(stream, CONSUMER);
      for (let i = 0; i < 5; i++) await js.publish(subject, new Uint8Array([i]));
      await eventually('all 10 applied', async () => ((await applied()) === 10 ? true : undefined), {
        timeoutMs: 15_000,
      });
      expect(logs).toContain('the consumer is stuck');
      expect((await jsm.consumers.info(stream, CONSUMER)).config.durable_name).toBe(CONSUMER);
      const { rows } = await pool.query('SELECT last_seq FROM pump_cursors');
      expect(Number(rows[0].last_seq)).toBe(10);
    } finally {
      await pump.stop();
    }
  }, 60_000);
});
