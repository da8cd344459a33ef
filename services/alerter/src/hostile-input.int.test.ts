// Hostile input at the alerter's edge: numbers beyond what a sequence can be, strings that are not
// UTF-8, bodies that are not protobuf — each refused naming the field, never INTERNAL, and reported.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status } from '@grpc/grpc-js';
import {
  type DataEvent,
  encodeEvent,
  formatUuid,
  formatVerifierKey,
  generateNoteKey,
  imprintOf,
  mintUuidV7,
  parseSignerKey,
  verifierKeyOf,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { connectNats, subjectsFor } from '@msi/nats';
import { alerterV1, streamV1 } from '@msi/proto';
import { CredentialStore, createLogger } from '@msi/service-kit';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  type FreshDatabase,
  RawGrpcClient,
  repositoryRoot,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningTestAlerter, startTestAlerter } from './alerter-start.test-helper.js';

const prefix = uniquePrefix();
const SERVICE = '/msi.alerter.v1.AlerterService';
const AUDITOR = 'acme-auditor-key';
let database: FreshDatabase;
let nc: NatsConnection;
let workDir: string;
let alerter: RunningTestAlerter;
let raw: RawGrpcClient;
const security: streamV1.SecurityEvent[] = [];

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'alerter_hostile');
  workDir = await mkdtemp(join(tmpdir(), 'msi-alerter-hostile-'));
  const policyFile = join(workDir, 'policy.yaml');
  await writeFile(
    policyFile,
    await readFile(join(repositoryRoot(), 'services/alerter/policies/default.yaml')),
  );
  nc = await connectNats({ servers: natsUrl, name: 'alerter-hostile-test' });
  const sub = nc.subscribe(subjectsFor(prefix).security);
  void (async () => {
    for await (const m of sub) security.push(streamV1.SecurityEvent.decode(m.data));
  })();
  const key = generateNoteKey('calendar.test', new Uint8Array(32).fill(3)).signerKey;
  alerter = await startTestAlerter({
    nc,
    databaseUrl: database.url,
    prefix,
    calendarKey: formatVerifierKey(verifierKeyOf(parseSignerKey(key))),
    policyFile,
    credentials: CredentialStore.fromJson(
      JSON.stringify({
        credentials: [{ key: AUDITOR, tenant: 'acme', principal: 'acme-audit', roles: ['auditor'] }],
      }),
    ),
    secretFromEnv: () => undefined,
    hasher: nodeHasher(),
    ed25519: nodeEd25519(),
    host: '127.0.0.1',
    port: 0,
    log: createLogger({ service: 'alerter-test', level: 'error', write: () => {} }),
  });
  raw = new RawGrpcClient(`127.0.0.1:${alerter.port}`);
}, 60_000);

afterAll(async () => {
  raw?.close();
  await alerter?.stop();
  await nc?.close();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

/** `body` with its one occurrence of MARK replaced by bytes that are not UTF-8. */
function spoiled(body: Uint8Array): Buffer {
  const bytes = Buffer.from(body);
  bytes.set([0xff, 0xfe, 0x41, 0x41], bytes.indexOf(Buffer.from('MARK')));
  return bytes;
}

describe('the alerter refuses hostile input naming the field, never INTERNAL', () => {
  it.each([
    [
      'ListAlerts before_sequence 2^63',
      () =>
        raw.unary(
          `${SERVICE}/ListAlerts`,
          alerterV1.ListAlertsRequest.encode({
            filter: undefined,
            pageSize: 0,
            beforeSequence: 2n ** 63n,
          }).finish(),
          AUDITOR,
        ),
      status.OUT_OF_RANGE,
      'before_sequence: ',
    ],
    [
      'WatchAlerts after_sequence 2^64 − 1',
      () =>
        raw.serverStream(
          `${SERVICE}/WatchAlerts`,
          alerterV1.WatchAlertsRequest.encode({
            filter: undefined,
            afterSequence: 2n ** 64n - 1n,
            onlyNew: false,
          }).finish(),
          AUDITOR,
        ),
      status.OUT_OF_RANGE,
      'after_sequence: ',
    ],
    [
      'a filter rule that is not UTF-8',
      () =>
        raw.unary(
          `${SERVICE}/ListAlerts`,
          spoiled(
            alerterV1.ListAlertsRequest.encode(
              alerterV1.ListAlertsRequest.fromPartial({ filter: { rule: 'MARK' } }),
            ).finish(),
          ),
          AUDITOR,
        ),
      status.INVALID_ARGUMENT,
      'filter.rule: not valid UTF-8',
    ],
    [
      'a note that is not UTF-8 (before the role is checked)',
      () =>
        raw.unary(
          `${SERVICE}/AcknowledgeAlert`,
          spoiled(
            alerterV1.AcknowledgeAlertRequest.encode({ alertId: 'a'.repeat(64), note: 'MARK' }).finish(),
          ),
          AUDITOR,
        ),
      status.INVALID_ARGUMENT,
      'note: not valid UTF-8',
    ],
    [
      'garbage without a key',
      () => raw.unary(`${SERVICE}/GetPolicy`, Buffer.from([0x0b])),
      status.UNAUTHENTICATED,
      'a valid API key',
    ],
    [
      'garbage on a stream without a key',
      () => raw.serverStream(`${SERVICE}/WatchAlerts`, Buffer.from([0x12, 0x09])),
      status.UNAUTHENTICATED,
      'a valid API key',
    ],
    [
      'garbage with a key',
      () => raw.unary(`${SERVICE}/ListAlerts`, Buffer.from([0x0a, 0x05, 0x01]), AUDITOR),
      status.INVALID_ARGUMENT,
      'filter: ',
    ],
  ])('answers %s with its status, naming the field', async (_, call, code, details) => {
    const answer = await call();
    expect(answer.code).toBe(code);
    expect(answer.details.startsWith(details)).toBe(true);
  });

  it('reports failed authentication and undecodable requests as security events', async () => {
    const kinds = streamV1.SecurityEventKind;
    await raw.unary(`${SERVICE}/GetPolicy`, alerterV1.GetPolicyRequest.encode({}).finish(), 'wrong-key');
    await expect
      .poll(() => security.filter((e) => e.service === 'alerter').map((e) => [e.kind, e.reason, e.principal]))
      .toEqual(
        expect.arrayContaining([
          [kinds.SECURITY_EVENT_KIND_UNAUTHENTICATED, 'unknown_api_key', ''],
          [kinds.SECURITY_EVENT_KIND_UNAUTHENTICATED, 'missing_credentials', ''],
          [kinds.SECURITY_EVENT_KIND_MALFORMED_REQUEST, 'undecodable_request', 'acme-audit'],
        ]),
      );
  });

  it('raises alerts on events whose text holds U+0000 (valid in an event, not in Postgres text) without stalling', async () => {
    const transfer = (actor: string): DataEvent => ({
      tenant: 'acme',
      eventId: mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16))),
      kind: 'TRANSFER',
      data: imprintOf('sha256', globalThis.crypto.getRandomValues(new Uint8Array(8))),
      inputs: [],
      outputs: [],
      toTenant: '',
      actor,
      submitter: 'acme-gateway',
      source: { system: 's3', region: 'eu-west-1', host: '' },
      destination: { system: 's3', region: 'us-east-1', host: '' },
      occurredAt: Date.now() * 1000,
      receivedAt: Date.now() * 1000,
      parents: [],
      attributes: [
        { key: 'classification', value: 'pii' },
        { key: 'note', value: 'a\u0000b' },
      ],
      nonce: new Uint8Array(16),
    });
    // Both break pii-outside-allowed-regions (an arrival rule): the first names its actor with a NUL.
    const poisoned = transfer('back\u0000up');
    const clean = { ...transfer('backup'), attributes: [{ key: 'classification', value: 'pii' }] };
    const js = jetstream(nc);
    for (const [i, event] of [poisoned, clean].entries()) {
      await js.publish(
        subjectsFor(prefix).events(0),
        streamV1.EventBatch.encode({
          version: 1,
          batchId: `nul-${i}`,
          shard: 0,
          events: [Buffer.from(encodeEvent(event))],
        }).finish(),
      );
    }
    const client = new alerterV1.AlerterServiceClient(
      `127.0.0.1:${alerter.port}`,
      credentials.createInsecure(),
    );
    const list = () =>
      new Promise<alerterV1.Alert[]>((resolve, reject) => {
        const metadata = new Metadata();
        metadata.set('authorization', `Bearer ${AUDITOR}`);
        client.listAlerts(alerterV1.ListAlertsRequest.fromPartial({ pageSize: 100 }), metadata, (e, r) =>
          e !== null || r === undefined ? reject(e) : resolve(r.alerts),
        );
      });
    const ids = (alerts: alerterV1.Alert[]) => alerts.flatMap((a) => a.eventIds.map((id) => formatUuid(id)));
    try {
      await expect
        .poll(async () => ids(await list()), { timeout: 15_000, interval: 200 })
        .toEqual(expect.arrayContaining([formatUuid(poisoned.eventId), formatUuid(clean.eventId)]));
      const shown = (await list()).find((a) =>
        a.eventIds.some((id) => formatUuid(id) === formatUuid(poisoned.eventId)),
      );
      expect(shown?.message).toContain('back\uFFFDup');
    } finally {
      client.close();
    }
  }, 30_000);
});
