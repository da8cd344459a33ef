import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPool, inTransaction, type Pool } from '@msi/postgres';
import { createLogger } from '@msi/service-kit';
import { eventually, useWorld } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  DEFAULT_WEBHOOK_BACKOFF,
  type DeliveryAttempt,
  WebhookDeliverer,
  type WebhookDelivererOptions,
  WebhookDeliveryError,
} from './webhook-deliverer.js';
import {
  verifyWebhookSignature,
  WEBHOOK_ALERT_ID_HEADER,
  WEBHOOK_ATTEMPT_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
} from './webhook-signature.js';
import {
  claimDue,
  deliveryStats,
  enqueueDelivery,
  markDelivered,
  markFailedAttempt,
  msUntilNextDue,
  webhookTablesSql,
} from './webhook-store.js';

const SECRET = 'whsec_integration';
const logs: string[] = [];
const log = createLogger({ service: 'alerter-webhooks-test', level: 'debug', write: (l) => logs.push(l) });
const world = useWorld({ label: 'alerter_webhooks', database: true });
let pool: Pool;
let schemas = 0;

beforeAll(() => {
  pool = createPool({ connectionString: world.databaseUrl, max: 8 });
});

afterAll(async () => {
  await pool?.end();
});

/** A schema of its own per test, so one test's deliverers never see another's rows. */
async function freshSchema(): Promise<string> {
  const schema = `webhooks_${++schemas}`;
  await pool.query(`CREATE SCHEMA ${schema}; ${webhookTablesSql(schema)}`);
  return schema;
}

interface Received {
  readonly alertId: string;
  readonly attempt: number;
  readonly signature: string;
  readonly contentType: string;
  readonly body: string;
}

interface Receiver {
  readonly url: string;
  readonly requests: Received[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1; `answer` decides what the n-th request (1-based) gets. */
async function startReceiver(
  answer: (request: Received, n: number, res: ServerResponse, req: IncomingMessage) => void,
): Promise<Receiver> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received = {
        alertId: String(req.headers[WEBHOOK_ALERT_ID_HEADER]),
        attempt: Number(req.headers[WEBHOOK_ATTEMPT_HEADER]),
        signature: String(req.headers[WEBHOOK_SIGNATURE_HEADER]),
        contentType: String(req.headers['content-type']),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      answer(received, requests.length, res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const reply = (res: ServerResponse, status: number) => res.writeHead(status).end('{}');

interface Recorded {
  readonly delivered: DeliveryAttempt[];
  readonly failed: DeliveryAttempt[];
  readonly gaveUp: DeliveryAttempt[];
}

function deliverer(
  schema: string,
  extra: Partial<WebhookDelivererOptions> = {},
  p: Pool = pool,
): { deliverer: WebhookDeliverer; recorded: Recorded } {
  const recorded: Recorded = { delivered: [], failed: [], gaveUp: [] };
  const deliverer = new WebhookDeliverer({
    pool: p,
    schema,
    secretOf: (webhook) => (webhook === 'ops' ? SECRET : undefined),
    log,
    backoff: { baseMs: 50, maxMs: 400, maxAttempts: 6 },
    timeoutMs: 2000,
    maxIdleMs: 100,
    hooks: {
      onDelivered: (a) => recorded.delivered.push(a),
      onFailedAttempt: (a) => recorded.failed.push(a),
      onGaveUp: (a) => recorded.gaveUp.push(a),
    },
    ...extra,
  });
  return { deliverer, recorded };
}

async function enqueue(schema: string, alertId: string, url: string, body: string): Promise<boolean> {
  return inTransaction(pool, (client) =>
    enqueueDelivery(client, schema, { alertId, webhook: 'ops', url, body }),
  );
}

async function row(schema: string, alertId: string) {
  const result = await pool.query(
    `SELECT state, attempts, last_status, last_error, delivered_at, body FROM ${schema}.webhook_deliveries
     WHERE alert_id = $1 AND webhook = 'ops'`,
    [alertId],
  );
  return result.rows[0] as {
    state: string;
    attempts: number;
    last_status: number | null;
    last_error: string | null;
    delivered_at: Date | null;
    body: string;
  };
}

describe('WebhookDeliverer against a real receiver and Postgres', () => {
  it('retries 500, 500 and a dropped connection, then delivers once, signed, with the same body', async () => {
    const schema = await freshSchema();
    const receiver = await startReceiver((_r, n, res, req) => {
      if (n <= 2) reply(res, 500);
      else if (n === 3) req.socket.destroy();
      else reply(res, 200);
    });
    const body = JSON.stringify({
      alertId: 'alert-1',
      rule: 'custody-gap',
      severity: 'critical',
      note: 'é ✓',
    });
    const { deliverer: d, recorded } = deliverer(schema);
    try {
      expect(await enqueue(schema, 'alert-1', receiver.url, body)).toBe(true);
      d.start();
      d.kick();
      await eventually('delivery', async () => (await deliveryStats(pool, schema)).delivered === 1);
    } finally {
      await d.stop();
      await receiver.close();
    }

    expect(receiver.requests.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    const nowS = Math.floor(Date.now() / 1000);
    for (const r of receiver.requests) {
      expect(r.body).toBe(body);
      expect(r.alertId).toBe('alert-1');
      expect(r.contentType).toBe('application/json');
      expect(verifyWebhookSignature(SECRET, r.signature, r.body, nowS)).toBe(true);
      expect(verifyWebhookSignature('whsec_other', r.signature, r.body, nowS)).toBe(false);
    }
    expect(recorded.failed.map((a) => [a.attempt, a.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, undefined],
    ]);
    expect(recorded.failed[2]?.error).toMatch(/fetch failed/);
    expect(recorded.delivered.map((a) => [a.attempt, a.status, a.error])).toEqual([[4, 200, undefined]]);
    expect(recorded.gaveUp).toEqual([]);
    const settled = await row(schema, 'alert-1');
    expect(settled).toMatchObject({ state: 'delivered', attempts: 4, last_status: 200, last_error: null });
    expect(settled.delivered_at).toBeInstanceOf(Date);
    expect(await deliveryStats(pool, schema)).toEqual({ pending: 0, delivered: 1, failed: 0 });
  });

  it('marks a delivery failed after maxAttempts answers of 503, and logs it as an error', async () => {
    const schema = await freshSchema();
    const receiver = await startReceiver((_r, _n, res) => reply(res, 503));
    const { deliverer: d, recorded } = deliverer(schema, {
      backoff: { baseMs: 50, maxMs: 400, maxAttempts: 3 },
    });
    try {
      await enqueue(schema, 'alert-503', receiver.url, '{"alertId":"alert-503"}');
      d.start();
      await eventually('giving up', async () => (await deliveryStats(pool, schema)).failed === 1);
    } finally {
      await d.stop();
      await receiver.close();
    }

    expect(receiver.requests.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(recorded.failed.map((a) => a.attempt)).toEqual([1, 2]);
    expect(recorded.gaveUp.map((a) => [a.attempt, a.status, a.error])).toEqual([[3, 503, 'HTTP 503']]);
    expect(recorded.delivered).toEqual([]);
    expect(await row(schema, 'alert-503')).toMatchObject({
      state: 'failed',
      attempts: 3,
      last_status: 503,
      last_error: 'HTTP 503',
      delivered_at: null,
    });
    const errors = logs.map((l) => JSON.parse(l)).filter((l) => l.level === 'error');
    expect(errors).toContainEqual(
      expect.objectContaining({ msg: 'webhook delivery failed for good', alertId: 'alert-503', attempt: 3 }),
    );
  });

  it('counts a receiver that hangs past timeoutMs as a failed attempt', async () => {
    const schema = await freshSchema();
    const receiver = await startReceiver((_r, n, res) => {
      if (n > 1) reply(res, 204); // the first request is never answered
    });
    const { deliverer: d, recorded } = deliverer(schema, { timeoutMs: 300 });
    try {
      await enqueue(schema, 'alert-hang', receiver.url, '{"alertId":"alert-hang"}');
      d.start();
      await eventually('delivery', async () => (await deliveryStats(pool, schema)).delivered === 1);
    } finally {
      await d.stop();
      await receiver.close();
    }

    expect(receiver.requests.map((r) => r.attempt)).toEqual([1, 2]);
    expect(recorded.failed.map((a) => [a.attempt, a.status, a.error])).toEqual([
      [1, undefined, 'timed out after 300 ms'],
    ]);
    expect(recorded.delivered.map((a) => [a.attempt, a.status])).toEqual([[2, 204]]);
    expect(await row(schema, 'alert-hang')).toMatchObject({
      state: 'delivered',
      attempts: 2,
      last_status: 204,
    });
  });

  it('lets two deliverers share a table without sending any attempt twice', async () => {
    const schema = await freshSchema();
    // Attempt 1 of every alert fails, attempt 2 succeeds; answers are slow enough for both to take work.
    const receiver = await startReceiver((r, _n, res) => {
      setTimeout(() => reply(res, r.attempt === 1 ? 500 : 200), 15);
    });
    const alerts = Array.from({ length: 30 }, (_, i) => `alert-${i}`);
    for (const alertId of alerts) await enqueue(schema, alertId, receiver.url, JSON.stringify({ alertId }));
    const otherPool = createPool({ connectionString: world.databaseUrl, max: 4 });
    const a = deliverer(schema, { concurrency: 4 });
    const b = deliverer(schema, { concurrency: 4 }, otherPool);
    try {
      a.deliverer.start();
      b.deliverer.start();
      await eventually(
        'all deliveries',
        async () => (await deliveryStats(pool, schema)).delivered === alerts.length,
      );
    } finally {
      await Promise.all([a.deliverer.stop(), b.deliverer.stop()]);
      await otherPool.end();
      await receiver.close();
    }

    const perAttempt = new Map<string, number>();
    for (const r of receiver.requests) {
      const key = `${r.alertId}#${r.attempt}`;
      perAttempt.set(key, (perAttempt.get(key) ?? 0) + 1);
    }
    expect([...perAttempt.values()].every((count) => count === 1)).toBe(true);
    expect(perAttempt.size).toBe(alerts.length * 2);
    expect(receiver.requests).toHaveLength(alerts.length * 2);
    const sent = (r: Recorded) => r.delivered.length + r.failed.length;
    expect(sent(a.recorded)).toBeGreaterThan(0);
    expect(sent(b.recorded)).toBeGreaterThan(0);
    expect(sent(a.recorded) + sent(b.recorded)).toBe(alerts.length * 2);
    const attempts = await pool.query(`SELECT DISTINCT attempts FROM ${schema}.webhook_deliveries`);
    expect(attempts.rows).toEqual([{ attempts: 2 }]);
  });
});

describe('enqueueDelivery', () => {
  it('keeps one row, the first body, when the same alert is enqueued twice', async () => {
    const schema = await freshSchema();
    expect(await enqueue(schema, 'alert-dup', 'http://127.0.0.1:9/a', '{"v":1}')).toBe(true);
    expect(await enqueue(schema, 'alert-dup', 'http://127.0.0.1:9/b', '{"v":2}')).toBe(false);
    const rows = await pool.query(`SELECT url, body, state, attempts FROM ${schema}.webhook_deliveries`);
    expect(rows.rows).toEqual([
      { url: 'http://127.0.0.1:9/a', body: '{"v":1}', state: 'pending', attempts: 0 },
    ]);
  });

  it('adds nothing when the alert transaction rolls back', async () => {
    const schema = await freshSchema();
    const rolledBack = inTransaction(pool, async (client) => {
      await enqueueDelivery(client, schema, { alertId: 'a', webhook: 'ops', url: 'http://x/', body: '{}' });
      throw new Error('alert insert failed');
    });
    await expect(rolledBack).rejects.toThrow('alert insert failed');
    expect(await deliveryStats(pool, schema)).toEqual({ pending: 0, delivered: 0, failed: 0 });
  });
});

describe('claimDue and the settlements', () => {
  it('says how long until the next row is due: none pending is undefined, not "due now"', async () => {
    // An empty queue once read as 0 ms (SQL GREATEST skips NULLs): the deliverer polled without pause.
    const schema = await freshSchema();
    expect(await msUntilNextDue(pool, schema)).toBeUndefined();
    await enqueue(schema, 'alert-due', 'http://127.0.0.1:9/', '{}');
    expect(await msUntilNextDue(pool, schema)).toBe(0);
    await claimDue(pool, schema, 10, 60_000); // leased for a minute: due again when the lease ends
    const leased = await msUntilNextDue(pool, schema);
    expect(leased).toBeGreaterThan(50_000);
    expect(leased).toBeLessThanOrEqual(60_000);
    await pool.query(`UPDATE ${schema}.webhook_deliveries SET state = 'delivered'`);
    expect(await msUntilNextDue(pool, schema)).toBeUndefined();
  });

  it('offers an unsettled claim again as the next attempt once its lease ends, and ignores stale settlements', async () => {
    const schema = await freshSchema();
    await enqueue(schema, 'alert-lease', 'http://127.0.0.1:9/', '{}');
    const first = await claimDue(pool, schema, 10, 60_000);
    expect(first.map((c) => [c.alertId, c.attempt])).toEqual([['alert-lease', 1]]);
    expect(await claimDue(pool, schema, 10, 60_000)).toEqual([]);
    // The lease ends (as if 60 s passed with the claiming instance dead).
    await pool.query(`UPDATE ${schema}.webhook_deliveries SET next_attempt_at = now() - interval '1 second'`);
    const second = await claimDue(pool, schema, 10, 60_000);
    expect(second.map((c) => c.attempt)).toEqual([2]);

    const late = { alertId: 'alert-lease', webhook: 'ops', status: 500, error: 'late' } as const;
    expect(await markFailedAttempt(pool, schema, { ...late, attempt: 1, retryInMs: 0 })).toBe(false);
    expect(await markFailedAttempt(pool, schema, { ...late, attempt: 2, retryInMs: 'give-up' })).toBe(true);
    expect(await row(schema, 'alert-lease')).toMatchObject({
      state: 'failed',
      attempts: 2,
      last_error: 'late',
    });
    expect(await claimDue(pool, schema, 10, 60_000)).toEqual([]);
    // A 2xx that arrives after giving up is still the receiver's word.
    expect(await markDelivered(pool, schema, { alertId: 'alert-lease', webhook: 'ops', status: 200 })).toBe(
      true,
    );
    expect(await markDelivered(pool, schema, { alertId: 'alert-lease', webhook: 'ops', status: 200 })).toBe(
      false,
    );
    expect(await deliveryStats(pool, schema)).toEqual({ pending: 0, delivered: 1, failed: 0 });
  });

  it('does not send again an attempt past maxAttempts left unsettled by a dead instance', async () => {
    const schema = await freshSchema();
    const receiver = await startReceiver((_r, _n, res) => reply(res, 200));
    await enqueue(schema, 'alert-dead', receiver.url, '{}');
    await pool.query(`UPDATE ${schema}.webhook_deliveries SET attempts = 3`); // attempt 3 claimed, then the instance died
    const { deliverer: d, recorded } = deliverer(schema, {
      backoff: { baseMs: 50, maxMs: 400, maxAttempts: 3 },
    });
    try {
      d.start();
      await eventually('giving up', async () => (await deliveryStats(pool, schema)).failed === 1);
    } finally {
      await d.stop();
      await receiver.close();
    }
    expect(receiver.requests).toEqual([]);
    expect(recorded.gaveUp.map((a) => a.attempt)).toEqual([4]);
  });
});

describe('backoffDelayMs', () => {
  const mid = () => 0.5;

  it('doubles from baseMs and stops at maxMs', () => {
    const delays = [1, 2, 3, 4, 9, 10, 12].map((n) => backoffDelayMs(DEFAULT_WEBHOOK_BACKOFF, n, mid));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 256_000, 300_000, 300_000]);
  });

  it('jitters by at most 20% either way', () => {
    const b = { baseMs: 100, maxMs: 10_000, maxAttempts: 12 };
    expect(backoffDelayMs(b, 3, () => 0)).toBe(320);
    expect(backoffDelayMs(b, 3, () => 0.999_999)).toBe(480);
    expect(backoffDelayMs(b, 1_000, () => 0.999_999)).toBe(12_000);
  });

  it('refuses options that cannot work', () => {
    const build = (extra: Partial<WebhookDelivererOptions>) => () => deliverer('unused', extra);
    expect(build({ backoff: { maxAttempts: 0 } })).toThrow(WebhookDeliveryError);
    expect(build({ backoff: { baseMs: 500, maxMs: 100 } })).toThrow(/maxMs/);
    expect(build({ timeoutMs: 5000, leaseMs: 1000 })).toThrow(/leaseMs/);
  });
});
