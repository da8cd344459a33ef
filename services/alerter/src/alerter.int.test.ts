import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { encodeImprint, formatUuid } from '@msi/core';
import { readSubject, streamNamesFor, subjectsFor } from '@msi/nats';
import { createPool, type Pool } from '@msi/postgres';
import { alerterV1, streamV1, verifierV1 } from '@msi/proto';
import { eventually, repositoryRoot, useWorld } from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alerterClient,
  dataEvent,
  ingestFor,
  item,
  recentLocalTime,
  type TestEvent,
} from './alerter.test-helper.js';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature.js';

const WEBHOOK_SECRET = 'whsec-test-secret';
const KEYS = {
  acmeEmitter: 'acme-emitter-key',
  globexEmitter: 'globex-emitter-key',
  acmeAuditor: 'acme-auditor-key',
  globexAuditor: 'globex-auditor-key',
  operator: 'ops-key',
};
const hooks: { body: string; signature: string; attempt: string }[] = [];
let hookAnswers = 0;
let policyPath: string;

const world = useWorld({
  label: 'alerter',
  nats: true,
  pipeline: async ({ workDir, defer }) => {
    const receiver = await startHookReceiver();
    defer(() => new Promise((resolve) => receiver.close(resolve)));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    policyPath = join(workDir, 'policy.yaml');
    const shipped = await readFile(join(repositoryRoot(), 'services/alerter/policies/default.yaml'), 'utf8');
    await writeFile(
      policyPath,
      `${shipped}\nwebhooks:\n  - name: ops\n    url: ${hookUrl}\n    secret_env: MSI_TEST_WEBHOOK_SECRET\n    min_severity: critical\n`,
    );
    return {
      alerter: { policyFile: policyPath },
      apiKeys: [
        { key: KEYS.acmeEmitter, tenant: 'acme', principal: 'acme-gateway', roles: ['emitter'] },
        { key: KEYS.globexEmitter, tenant: 'globex', principal: 'globex-gateway', roles: ['emitter'] },
        { key: KEYS.acmeAuditor, tenant: 'acme', principal: 'acme-audit', roles: ['auditor'] },
        { key: KEYS.globexAuditor, tenant: 'globex', principal: 'globex-audit', roles: ['auditor'] },
        { key: KEYS.operator, tenant: 'ops', principal: 'oncall', roles: ['operator'] },
      ],
      extraEnv: {
        alerter: {
          MSI_TEST_WEBHOOK_SECRET: WEBHOOK_SECRET,
          MSI_ALERTER_WEBHOOK_BACKOFF_MS: '100',
          MSI_ALERTER_POLICY_POLL_MS: '100',
        },
      },
    };
  },
});
const prefix = world.prefix;
const salt = prefix;
let db: Pool;
let alerter: ReturnType<typeof alerterClient>;
let acme: ReturnType<typeof ingestFor>;

// Times of this week, whatever today is: ingest refuses occurred_at older than 7 days. The shipped
// policy gives acme Berlin business hours (Mon–Fri 08:00–18:00) and a few holidays to avoid.
const SHIPPED_HOLIDAYS = [
  ...readFileSync(join(repositoryRoot(), 'services/alerter/policies/default.yaml'), 'utf8').matchAll(
    /"([0-9]{4}-[0-9]{2}-[0-9]{2})"/g,
  ),
].map((match) => match[1] as string);
const NIGHT_OUTSIDE_BUSINESS_HOURS = recentLocalTime({
  nowMs: Date.now(),
  zone: 'Europe/Berlin',
  weekdays: ['sat', 'sun'],
  clock: '03:00',
  minAgeMs: 10 * 60_000,
});
const MORNING_IN_BUSINESS_HOURS = recentLocalTime({
  nowMs: Date.now(),
  zone: 'Europe/Berlin',
  weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
  clock: '10:00',
  minAgeMs: 10 * 60_000,
  skipDates: SHIPPED_HOLIDAYS,
});

/** The webhook receiver: the first delivery attempt fails (the alerter must retry), the rest are kept. */
async function startHookReceiver(): Promise<Server> {
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      hookAnswers += 1;
      if (hookAnswers === 1) {
        res.writeHead(500).end();
        return;
      }
      hooks.push({
        body,
        signature: String(req.headers[WEBHOOK_SIGNATURE_HEADER]),
        attempt: String(req.headers['msi-delivery-attempt']),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return receiver;
}

beforeAll(() => {
  db = createPool({ connectionString: world.databaseUrl });
  alerter = alerterClient(world.pipeline.alerterAddress ?? '');
  acme = ingestFor(world.pipeline.ingestAddress, KEYS.acmeEmitter);
});

afterAll(async () => {
  acme?.close();
  alerter?.close();
  await db?.end();
});

const ids = (events: { eventId: Uint8Array }[]) => events.map((e) => formatUuid(e.eventId));
const alertIds = (a: alerterV1.Alert) => a.eventIds.map((id) => formatUuid(id));

async function alertsOf(rule: string): Promise<alerterV1.Alert[]> {
  return (await alerter.list(KEYS.operator, { filter: { rule } as alerterV1.AlertFilter })).alerts;
}

/** Waits until the alerter has anchored (applied in calendar order) every one of `events`. */
async function anchored(events: readonly TestEvent[]): Promise<void> {
  const imprints = events.map((e) => Buffer.from(encodeImprint(e.data)));
  await eventually('items anchored at the alerter', async () => {
    const { rows } = await db.query(
      'SELECT count(*) AS n FROM alerter.custody_items WHERE imprint = ANY($1::bytea[])',
      [imprints],
    );
    return Number(rows[0].n) >= new Set(imprints.map((i) => i.toString('hex'))).size ? true : undefined;
  });
}

describe('the shipped policy', () => {
  const customers = item(salt, 'customers');
  const orders = item(salt, 'orders');
  const held = item(salt, 'held');
  const free = item(salt, 'free');
  const violating = {
    piiToUs: dataEvent({
      kind: 'TRANSFER',
      data: customers,
      actor: 'backup-sync',
      source: 's3/eu-west-1',
      destination: 's3/us-east-1',
      attrs: { classification: 'pii' },
    }),
    mallory1: dataEvent({ kind: 'ACCESS', data: customers, actor: 'mallory', source: 's3/eu-west-1' }),
    mallory2: dataEvent({ kind: 'ACCESS', data: customers, actor: 'mallory', source: 's3/eu-west-1' }),
    weekend: dataEvent({
      kind: 'PROCESS',
      data: orders,
      actor: 'etl-weekend',
      inputs: [orders],
      outputs: [item(salt, 'derived-1')],
      at: NIGHT_OUTSIDE_BUSINESS_HOURS,
    }),
    deleteHeld: dataEvent({ kind: 'DELETE', data: held, actor: 'janitor', source: 's3/eu-west-1' }),
  };
  const compliant = {
    piiToEu: dataEvent({
      kind: 'TRANSFER',
      data: customers,
      actor: 'replicator',
      source: 's3/eu-west-1',
      destination: 's3/eu-central-1',
      attrs: { classification: 'pii' },
    }),
    reader: dataEvent({ kind: 'ACCESS', data: customers, actor: 'reporting-job', source: 's3/eu-west-1' }),
    weekday: dataEvent({
      kind: 'PROCESS',
      data: orders,
      actor: 'etl-weekday',
      inputs: [orders],
      outputs: [item(salt, 'derived-2')],
      at: MORNING_IN_BUSINESS_HOURS,
    }),
    deleteFree: dataEvent({ kind: 'DELETE', data: free, actor: 'janitor', source: 's3/eu-west-1' }),
  };
  const watched: alerterV1.Alert[] = [];

  beforeAll(async () => {
    // Facts first, anchored before the events they judge: readers of customers, a hold on `held`.
    const setup = [
      dataEvent({
        kind: 'STORE',
        data: customers,
        actor: 'crm-export',
        destination: 's3/eu-west-1',
        attrs: { classification: 'pii' },
      }),
      dataEvent({ kind: 'STORE', data: orders, actor: 'shop', destination: 's3/eu-west-1' }),
      dataEvent({ kind: 'STORE', data: held, actor: 'legal', destination: 's3/eu-west-1' }),
      dataEvent({ kind: 'STORE', data: free, actor: 'legal', destination: 's3/eu-west-1' }),
      dataEvent({
        kind: 'STATE',
        data: customers,
        actor: 'governance',
        attrs: { 'fact.readers': 'reporting-job,etl-weekday' },
      }),
      dataEvent({ kind: 'STATE', data: held, actor: 'governance', attrs: { 'fact.retention_hold': 'true' } }),
    ];
    await acme.submit(setup);
    await anchored(setup);
    // From the newest sequence committed now (not onlyNew: the call could reach the server after the
    // first alert below is raised, and miss it).
    const newest = (await alerter.list(KEYS.operator)).alerts[0]?.sequence ?? 0n; // newest first
    alerter.watch(KEYS.acmeAuditor, { afterSequence: newest }, (a) => watched.push(a));
    await acme.submit([...Object.values(violating), ...Object.values(compliant)]);
    await anchored([...Object.values(violating), ...Object.values(compliant)]);
    await eventually('the policy alerts', async () =>
      (await alertsOf('deletion-under-retention-hold')).length > 0 ? true : undefined,
    );
  }, 60_000);

  it('pii-outside-allowed-regions fires on a pii TRANSFER to us-east-1, not to eu-central-1', async () => {
    const alerts = await alertsOf('pii-outside-allowed-regions');
    expect(alerts.flatMap(alertIds)).toEqual(ids([violating.piiToUs]));
    expect(alerts[0]?.severity).toBe(alerterV1.Severity.SEVERITY_HIGH);
    expect(alerts[0]?.tenant).toBe('acme');
    expect(alerts[0]?.message).toContain('us-east-1');
  });

  it('reader-not-allowed fires on mallory (twice: one alert, two occurrences), not on a listed reader', async () => {
    const alerts = await alertsOf('reader-not-allowed');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.occurrences).toBe(2n);
    expect(alertIds(alerts[0] as alerterV1.Alert).sort()).toEqual(
      ids([violating.mallory1, violating.mallory2]).sort(),
    );
    // Evaluated in calendar order, once anchored: the alert names its round.
    expect(alerts[0]?.anchoredRound).toBeGreaterThan(0n);
  });

  it('processing-outside-business-hours fires on a weekend 03:00 Berlin PROCESS, not on a working day at 10:00', async () => {
    const alerts = await alertsOf('processing-outside-business-hours');
    expect(alerts.flatMap(alertIds)).toEqual(ids([violating.weekend]));
    expect(alerts[0]?.message).toMatch(/ (sat|sun) /);
  });

  it('deletion-under-retention-hold fires on deleting the held item, not another one', async () => {
    const alerts = await alertsOf('deletion-under-retention-hold');
    expect(alerts.flatMap(alertIds)).toEqual(ids([violating.deleteHeld]));
    expect(alerts[0]?.severity).toBe(alerterV1.Severity.SEVERITY_CRITICAL);
  });

  it('no alert of any rule names a compliant event', async () => {
    const all = (await alerter.list(KEYS.operator)).alerts.flatMap(alertIds);
    for (const id of ids(Object.values(compliant))) expect(all).not.toContain(id);
  });

  it('stateless alerts get their anchoring round once anchored', async () => {
    const [alert] = await alertsOf('pii-outside-allowed-regions');
    await eventually('the anchored round on a stateless alert', async () => {
      const [now] = await alertsOf('pii-outside-allowed-regions');
      return (now?.anchoredRound ?? 0n) > 0n ? true : undefined;
    });
    expect(alert?.firstSeenUs).toBeGreaterThan(0n);
  });

  it('WatchAlerts streams each new alert to the tenant auditor', async () => {
    await eventually('watched alerts', async () => (watched.length >= 4 ? true : undefined));
    expect(new Set(watched.map((a) => a.rule))).toEqual(
      new Set([
        'pii-outside-allowed-regions',
        'reader-not-allowed',
        'processing-outside-business-hours',
        'deletion-under-retention-hold',
      ]),
    );
    const sequences = watched.map((a) => Number(a.sequence));
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
  });

  it('publishes every alert on <prefix>.alerts.<severity>', async () => {
    const all = (await alerter.list(KEYS.operator)).alerts;
    const js = jetstream(world.nc);
    const published = await eventually('alerts on the stream', async () => {
      const messages = await readSubject(js, streamNamesFor(prefix).alerts, subjectsFor(prefix).allAlerts);
      return messages.length >= all.length ? messages : undefined;
    });
    const critical = published.filter((m) => m.subject === subjectsFor(prefix).alerts('critical'));
    const decoded = critical.map((m) => alerterV1.Alert.decode(m.data));
    expect(decoded.map((a) => a.rule)).toContain('deletion-under-retention-hold');
    expect(new Set(published.map((m) => m.msgId)).size).toBe(published.length);
  });

  it('delivers critical alerts to the webhook, retrying after a 500, signed with HMAC', async () => {
    const delivered = await eventually('a webhook delivery', async () =>
      hooks.length > 0 ? hooks : undefined,
    );
    const hook = delivered[0];
    expect(hook?.attempt).toBe('2');
    const now = Math.floor(Date.now() / 1000);
    expect(verifyWebhookSignature(WEBHOOK_SECRET, hook?.signature ?? '', hook?.body ?? '', now)).toBe(true);
    expect(verifyWebhookSignature('another-secret', hook?.signature ?? '', hook?.body ?? '', now)).toBe(
      false,
    );
    const body = JSON.parse(hook?.body ?? '{}');
    expect(body.severity).toBe('critical');
    expect(body.rule).toBe('deletion-under-retention-hold');
  });
});

describe('chain of custody', () => {
  it('flags unknown provenance, use after deletion and an unanchored PROCESS input, not a clean access', async () => {
    const ghost = item(salt, 'ghost');
    const doomed = item(salt, 'doomed');
    const kept = item(salt, 'kept');
    const stores = [
      dataEvent({ kind: 'STORE', data: doomed, actor: 'writer', destination: 's3/eu-west-1' }),
      dataEvent({ kind: 'STORE', data: kept, actor: 'writer', destination: 's3/eu-west-1' }),
    ];
    await acme.submit(stores);
    await anchored(stores);
    const deletion = dataEvent({
      kind: 'DELETE',
      data: doomed,
      actor: 'retention-job',
      source: 's3/eu-west-1',
    });
    await acme.submit([deletion]);
    await anchored([deletion]);
    const ghostRead = dataEvent({
      kind: 'ACCESS',
      data: ghost,
      actor: 'reporting-job',
      source: 's3/eu-west-1',
    });
    const afterDelete = dataEvent({
      kind: 'ACCESS',
      data: doomed,
      actor: 'reporting-job',
      source: 's3/eu-west-1',
    });
    const never = item(salt, 'never-anchored');
    const process = dataEvent({
      kind: 'PROCESS',
      data: kept,
      actor: 'etl',
      inputs: [kept, never],
      outputs: [item(salt, 'out')],
      at: MORNING_IN_BUSINESS_HOURS,
    });
    const clean = dataEvent({ kind: 'ACCESS', data: kept, actor: 'reporting-job', source: 's3/eu-west-1' });
    await acme.submit([ghostRead, afterDelete, process, clean]);
    await anchored([ghostRead, afterDelete, process, clean]);
    const named = async (rule: string) => (await alertsOf(rule)).flatMap(alertIds);
    await eventually('custody alerts', async () =>
      (await named('unanchored-input')).length > 0 ? true : undefined,
    );
    expect(await named('unknown-provenance')).toContain(formatUuid(ghostRead.eventId));
    expect(await named('use-after-delete')).toEqual([formatUuid(afterDelete.eventId)]);
    expect(await named('unanchored-input')).toEqual([formatUuid(process.eventId)]);
    const all = (await alerter.list(KEYS.operator)).alerts.flatMap(alertIds);
    expect(all).not.toContain(formatUuid(clean.eventId));
    const [custody] = await alertsOf('use-after-delete');
    expect(custody?.category).toBe(alerterV1.Category.CATEGORY_CUSTODY);
    expect(custody?.message).toContain('after acme deleted it');
  });
});

describe('integrity reports and security', () => {
  it('raises a critical alert for a verifier mismatch and a high one for a witness refusal', async () => {
    const js = jetstream(world.nc);
    const subjects = subjectsFor(prefix);
    await js.publish(
      subjects.integrity('verifier'),
      verifierV1.IntegrityFailure.encode({
        version: 1,
        kind: verifierV1.IntegrityFailureKind.INTEGRITY_FAILURE_KIND_SEAL_MISMATCH,
        stream: 'seals',
        streamSequence: 42n,
        shard: 1,
        number: 7n,
        detail: 'root does not match the events it covers',
        detectedAtUs: BigInt(Date.now() * 1000),
      }).finish(),
    );
    await js.publish(
      subjects.integrity('witness'),
      streamV1.WitnessRefused.encode({
        version: 1,
        witness: 'w1.example',
        url: 'http://127.0.0.1:9/',
        size: 12n,
        status: 403,
        message: 'unknown log key',
        checkpoint: '',
        atUs: BigInt(Date.now() * 1000),
      }).finish(),
    );
    const [mismatch] = await eventually('verifier-mismatch', async () => {
      const a = await alertsOf('verifier-mismatch');
      return a.length > 0 ? a : undefined;
    });
    expect(mismatch?.severity).toBe(alerterV1.Severity.SEVERITY_CRITICAL);
    expect(mismatch?.details.kind).toBe('seal_mismatch');
    const [refusal] = await eventually('witness-refused', async () => {
      const a = await alertsOf('witness-refused');
      return a.length > 0 ? a : undefined;
    });
    expect(refusal?.severity).toBe(alerterV1.Severity.SEVERITY_HIGH);
    expect(refusal?.message).toContain('w1.example');
  });

  it('a burst of failed authentications is one alert', async () => {
    const intruder = ingestFor(world.pipeline.ingestAddress, 'not-a-key');
    for (let i = 0; i < 12; i++) {
      await expect(
        intruder.submit([dataEvent({ kind: 'STORE', data: item(salt, `x${i}`), actor: 'x' })]),
      ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    intruder.close();
    const alerts = await eventually('auth-failure-burst', async () => {
      const a = await alertsOf('auth-failure-burst');
      return a.length > 0 && (a[0]?.occurrences ?? 0n) >= 3n ? a : undefined;
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.message).toContain('127.0.0.1');
  });
});

describe('the API', () => {
  it('auditors see their own tenant only; operators see all; others are refused', async () => {
    const acmeView = (await alerter.list(KEYS.acmeAuditor)).alerts;
    expect(acmeView.length).toBeGreaterThan(0);
    expect(acmeView.every((a) => a.tenant === 'acme')).toBe(true);
    expect((await alerter.list(KEYS.globexAuditor)).alerts).toEqual([]);
    await expect(
      alerter.list(KEYS.globexAuditor, { filter: { tenant: 'acme' } as alerterV1.AlertFilter }),
    ).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
      details: expect.stringContaining('filter.tenant'),
    });
    await expect(alerter.list(KEYS.acmeEmitter)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(alerter.list('wrong')).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(alerter.list(KEYS.operator, { pageSize: 5000 })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('page_size'),
    });
    const all = (await alerter.list(KEYS.operator)).alerts;
    expect(all.some((a) => a.tenant === '')).toBe(true);
  });

  it('pages newest first', async () => {
    const all = (await alerter.list(KEYS.operator)).alerts;
    // From just above the newest listed: an alert raised meanwhile (a service level under load) must
    // not shift the pages.
    const top = (all[0]?.sequence ?? 0n) + 1n;
    const first = await alerter.list(KEYS.operator, { pageSize: 2, beforeSequence: top });
    expect(first.alerts.map((a) => a.sequence)).toEqual(all.slice(0, 2).map((a) => a.sequence));
    const second = await alerter.list(KEYS.operator, { pageSize: 2, beforeSequence: first.nextBefore });
    expect(second.alerts.map((a) => a.sequence)).toEqual(all.slice(2, 4).map((a) => a.sequence));
  });

  it('operators acknowledge (once); auditors may not', async () => {
    const [alert] = await alertsOf('pii-outside-allowed-regions');
    const id = alert?.alertId ?? '';
    await expect(alerter.acknowledge(KEYS.acmeAuditor, id, 'seen')).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    await expect(alerter.acknowledge(KEYS.operator, 'zz', 'seen')).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('alert_id'),
    });
    await expect(alerter.acknowledge(KEYS.operator, '0'.repeat(64), 'x')).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    const acked = await alerter.acknowledge(KEYS.operator, id, 'backup target moved to eu-west-1');
    expect(acked.alert?.status).toBe(alerterV1.Status.STATUS_ACKNOWLEDGED);
    expect(acked.alert?.acknowledgedBy).toBe('oncall');
    const again = await alerter.acknowledge(KEYS.operator, id, 'second');
    expect(again.alert?.acknowledgeNote).toBe('backup target moved to eu-west-1');
    const open = await alerter.list(KEYS.operator, {
      filter: {
        rule: 'pii-outside-allowed-regions',
        status: alerterV1.Status.STATUS_OPEN,
      } as alerterV1.AlertFilter,
    });
    expect(open.alerts).toEqual([]);
  });
});

describe('policy hot reload', () => {
  it('refuses an invalid file naming line and field, keeps the previous policy, then takes a valid one', async () => {
    const before = await alerter.policy(KEYS.operator);
    const valid = await readFile(policyPath, 'utf8');
    await writeFile(
      policyPath,
      valid.replace(
        'severity: high\n    when:\n      kind: TRANSFER',
        'severity: hihg\n    when:\n      kind: TRANSFER',
      ),
    );
    const refused = await eventually('a refused reload', async () => {
      const p = await alerter.policy(KEYS.operator);
      return p.lastError !== '' ? p : undefined;
    });
    expect(refused.digest).toBe(before.digest);
    expect(refused.lastError).toMatch(/policy\.yaml:\d+:\d+ rules\[0\]\.severity/);
    // The previous policy still judges events.
    const violation = dataEvent({
      kind: 'TRANSFER',
      data: item(salt, 'customers'),
      actor: 'still-watched',
      source: 's3/eu-west-1',
      destination: 's3/ap-south-1',
      attrs: { classification: 'pii' },
    });
    await acme.submit([violation]);
    await eventually('an alert under the previous policy', async () =>
      (await alertsOf('pii-outside-allowed-regions')).some((a) =>
        alertIds(a).includes(formatUuid(violation.eventId)),
      )
        ? true
        : undefined,
    );
    await writeFile(
      policyPath,
      valid.replace(
        'severity: critical\n    when:\n      kind: DELETE',
        'severity: high\n    when:\n      kind: DELETE',
      ),
    );
    const reloaded = await eventually('the new policy', async () => {
      const p = await alerter.policy(KEYS.operator);
      return p.digest !== before.digest && p.lastError === '' ? p : undefined;
    });
    expect(reloaded.rules).toContain('deletion-under-retention-hold');
  });
});
