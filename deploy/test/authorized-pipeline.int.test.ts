import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { encodeImprint, formatUuid, imprintOf, mintUuidV7 } from '@msi/core';
import { alerterV1, eventV1, ingestV1 } from '@msi/proto';
import { type Pipeline, startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  type FreshDatabase,
  freePort,
  repositoryRoot,
  testServerUrls,
} from '@msi/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsUser, startTestCluster, type TestCluster, until } from './nats-cluster.test-helper.js';

// The REAL pipeline (calendar, aggregator, ingest, verifier, alerter as processes) against the
// 3-node cluster of deploy/nats/nats.conf with its authorization: each service connects as its own
// user (MSI_NATS_URL carrying user:password, as the deployment's secrets do), with the prefix the
// file's permissions name (`msi`; the cluster is private to this test). If a permission a service
// needs were missing, it would fail to start or nothing would be anchored and alerted. Then the
// negative side: what the file is there to block is blocked.

const SERVICES = ['ingest', 'aggregator', 'calendar', 'verifier', 'alerter'] as const;
const EMITTER = 'acme-emitter-key';
const OPERATOR = 'ops-key';

let cluster: TestCluster;
let database: FreshDatabase;
let workDir: string;
let pipeline: Pipeline;
let admin: NatsConnection;
const logs: string[] = [];

const bearer = (key: string): Metadata => {
  const m = new Metadata();
  m.set('authorization', `Bearer ${key}`);
  return m;
};

/** The wire imprint of a named item, unique to this run. */
const item = (name: string): Buffer =>
  Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(`${workDir}/${name}`))));

function dataEvent(fields: Partial<eventV1.DataEvent>): eventV1.DataEvent {
  return eventV1.DataEvent.fromPartial({
    eventId: Buffer.from(mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16)))),
    occurredAtUs: BigInt(Date.now() * 1000),
    ...fields,
  });
}

async function submit(events: eventV1.DataEvent[]): Promise<ingestV1.SubmitBatchResponse> {
  const client = new ingestV1.IngestServiceClient(pipeline.ingestAddress, credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) =>
      client.submitBatch({ events }, bearer(EMITTER), { deadline: Date.now() + 15_000 }, (e, r) =>
        e !== null || r === undefined ? reject(e) : resolve(r),
      ),
    );
  } finally {
    client.close();
  }
}

async function listAlerts(): Promise<alerterV1.Alert[]> {
  const client = new alerterV1.AlerterServiceClient(
    pipeline.alerterAddress ?? '',
    credentials.createInsecure(),
  );
  try {
    return await new Promise((resolve, reject) =>
      client.listAlerts(
        alerterV1.ListAlertsRequest.fromPartial({ pageSize: 1000 }),
        bearer(OPERATOR),
        (e, r) => (e !== null || r === undefined ? reject(e) : resolve(r.alerts)),
      ),
    );
  } finally {
    client.close();
  }
}

/** A connection as one of the deployment's users. */
const connectAs = (user: NatsUser): Promise<NatsConnection> =>
  connect({
    servers: [...cluster.servers],
    user,
    pass: cluster.passwords[user],
    name: `deploy-test-${user}`,
  });

beforeAll(async () => {
  cluster = await startTestCluster();
  database = await createFreshDatabase(testServerUrls().databaseUrl, 'deploy_auth');
  workDir = await mkdtemp(join(tmpdir(), 'msi-deploy-auth-'));
  const policyFile = join(workDir, 'policy.yaml');
  await writeFile(
    policyFile,
    await readFile(join(repositoryRoot(), 'services/alerter/policies/default.yaml'), 'utf8'),
  );
  pipeline = await startPipeline({
    root: repositoryRoot(),
    workDir,
    // Replaced per service below: no service runs with a URL that lacks its own user.
    natsUrl: cluster.servers.join(','),
    databaseUrl: database.url,
    prefix: 'msi',
    shards: 2,
    roundIntervalMs: 500,
    aggregators: 1,
    ingestPort: await freePort(),
    verifierPort: await freePort(),
    alerter: { port: await freePort(), policyFile },
    // A witness: the calendar then publishes cosigned checkpoints, which the verifier and alerter read.
    witnesses: [{ name: 'witness-1', port: await freePort() }],
    apiKeys: [
      { key: EMITTER, tenant: 'acme', principal: 'acme-gateway', roles: ['emitter'] },
      { key: OPERATOR, tenant: 'ops', principal: 'oncall', roles: ['operator'] },
    ],
    extraEnv: Object.fromEntries(
      SERVICES.map((s) => [s, { MSI_NATS_URL: cluster.urlFor(s), MSI_NATS_REPLICAS: '3' }]),
    ),
    onLine: ({ name, line }) => logs.push(`${name} | ${line}`),
  });
  try {
    await pipeline.waitUntilServing(90_000);
  } catch (error: unknown) {
    // A missing permission shows here: the service's log names the refused subject.
    throw new Error(`${String(error)}\n${logs.slice(-60).join('\n')}`);
  }
  admin = await connectAs('admin');
}, 150_000);

afterAll(async () => {
  await pipeline?.stop();
  await admin?.close().catch(() => undefined);
  await cluster?.stop();
  await database?.drop();
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

describe('the pipeline on the authorized cluster (deploy/nats/nats.conf)', () => {
  it('anchors events and raises policy and custody alerts, each service with its own user', async () => {
    const piiToUs = dataEvent({
      kind: eventV1.EventKind.EVENT_KIND_TRANSFER,
      data: item('customers'),
      actor: 'backup-sync',
      source: { system: 's3', region: 'eu-west-1', host: '' },
      destination: { system: 's3', region: 'us-east-1', host: '' },
      attributes: [{ key: 'classification', value: 'pii' }],
    });
    // No event ever produced or stored this item: unknown-provenance, judged once anchored.
    const ghostRead = dataEvent({
      kind: eventV1.EventKind.EVENT_KIND_ACCESS,
      data: item('ghost'),
      actor: 'reporting-job',
      source: { system: 's3', region: 'eu-west-1', host: '' },
    });
    const response = await submit([piiToUs, ghostRead]);
    expect(response.acks).toHaveLength(2);

    const alertsFor = async (rule: string): Promise<string[]> =>
      (await listAlerts())
        .filter((a) => a.rule === rule)
        .flatMap((a) => a.eventIds.map((id) => formatUuid(id)));
    const pii = await until('pii alert', 60_000, async () => {
      const ids = await alertsFor('pii-outside-allowed-regions');
      if (ids.length === 0) throw new Error('none yet');
      return ids;
    });
    expect(pii).toContain(formatUuid(piiToUs.eventId));
    const custody = await until('custody alert (after anchoring)', 60_000, async () => {
      const ids = await alertsFor('unknown-provenance');
      if (!ids.includes(formatUuid(ghostRead.eventId))) throw new Error('not yet');
      return ids;
    });
    expect(custody).toContain(formatUuid(ghostRead.eventId));

    // The calendar (user calendar) appended rounds, and the alerter (user alerter) published alerts.
    const jsm = await jetstreamManager(admin);
    expect((await jsm.streams.info('MSI_ROUNDS')).state.messages).toBeGreaterThan(0);
    expect((await jsm.streams.info('MSI_ALERTS')).state.messages).toBeGreaterThan(0);
    expect((await jsm.streams.info('MSI_ROUNDS')).config.num_replicas).toBe(3);
    // Checkpoints (calendar) reach the verifier's durable consumer (user verifier), which acks them.
    await until('checkpoints acked by the verifier', 30_000, async () => {
      const info = await jsm.consumers.info('MSI_CHECKPOINTS', 'verifier_checkpoints');
      if (info.ack_floor.stream_seq === 0) throw new Error('nothing acked yet');
    });
    const rounds = await jsm.consumers.info('MSI_ROUNDS', 'verifier_rounds');
    expect(rounds.ack_floor.stream_seq).toBeGreaterThan(0);
  }, 150_000);

  it('refuses ingest a forged round: msi.rounds is the calendar’s alone', async () => {
    const nc = await connectAs('ingest');
    try {
      const forged = new TextEncoder().encode('forged round');
      await expect(jetstream(nc).publish('msi.rounds', forged, { timeout: 2000 })).rejects.toThrow();
      const jsm = await jetstreamManager(admin);
      const last = await jsm.streams.getMessage('MSI_ROUNDS', { last_by_subj: 'msi.rounds' });
      expect(Buffer.from(last?.data ?? new Uint8Array())).not.toEqual(Buffer.from(forged));
      // Nor may it delete the record of what was anchored.
      await expect(
        jetstreamManager(nc, { timeout: 2000 }).then((m) => m.streams.delete('MSI_ROUNDS')),
      ).rejects.toThrow();
      expect((await jsm.streams.info('MSI_ROUNDS')).state.messages).toBeGreaterThan(0);
    } finally {
      await nc.close();
    }
  });

  it('refuses the alerter an event: msi.events.* is ingest’s alone', async () => {
    const nc = await connectAs('alerter');
    try {
      const jsm = await jetstreamManager(admin);
      const before = (await jsm.streams.info('MSI_EVENTS')).state.last_seq;
      await expect(
        jetstream(nc).publish('msi.events.0', new TextEncoder().encode('forged batch'), { timeout: 2000 }),
      ).rejects.toThrow();
      // A core publish is dropped by the server too.
      nc.publish('msi.events.0', new TextEncoder().encode('forged batch'));
      await nc.flush();
      const after = await jsm.streams.info('MSI_EVENTS');
      expect(after.state.last_seq).toBe(before);
    } finally {
      await nc.close();
    }
  });

  it('refuses a connection without a user, or with a wrong password', async () => {
    await expect(connect({ servers: [...cluster.servers], reconnect: false })).rejects.toThrow(
      /authorization/i,
    );
    await expect(
      connect({ servers: [...cluster.servers], user: 'ingest', pass: 'wrong', reconnect: false }),
    ).rejects.toThrow(/authorization/i);
  });
});
