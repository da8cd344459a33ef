import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { encodeImprint, formatUuid, imprintOf, mintUuidV7 } from '@msi/core';
import { alerterV1, eventV1, ingestV1, ingestV1ShardAdmin } from '@msi/proto';
import { eventually, repositoryRoot, useWorld } from '@msi/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsUser, startTestCluster, type TestCluster } from './nats-cluster.test-helper.js';

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
let admin: NatsConnection;

const world = useWorld({
  label: 'deploy_auth',
  prefix: 'msi', // the prefix the file's permissions name; the cluster is private to this test
  startTimeoutMs: 150_000,
  pipeline: async ({ workDir, defer }) => {
    cluster = await startTestCluster();
    defer(() => cluster.stop());
    const policyFile = join(workDir, 'policy.yaml');
    await writeFile(
      policyFile,
      await readFile(join(repositoryRoot(), 'services/alerter/policies/default.yaml'), 'utf8'),
    );
    return {
      // Replaced per service below: no service runs with a URL that lacks its own user.
      natsUrl: cluster.servers.join(','),
      verifier: true,
      alerter: { policyFile },
      // A witness: the calendar then publishes cosigned checkpoints, which the verifier and alerter read.
      witnesses: ['witness-1'],
      apiKeys: [
        { key: EMITTER, tenant: 'acme', principal: 'acme-gateway', roles: ['emitter'] },
        { key: OPERATOR, tenant: 'ops', principal: 'oncall', roles: ['operator'] },
      ],
      extraEnv: Object.fromEntries(
        SERVICES.map((s) => [s, { MSI_NATS_URL: cluster.urlFor(s), MSI_NATS_REPLICAS: '3' }]),
      ),
      // A missing permission shows as a service that does not serve: its log names the refused subject.
      servingTimeoutMs: 90_000,
      // As compose and Kubernetes do: a service whose start failed (a JetStream request of a young,
      // busy 3-node cluster timing out) is started again; a refused permission fails every time.
      restart: {},
    };
  },
});

const bearer = (key: string): Metadata => {
  const m = new Metadata();
  m.set('authorization', `Bearer ${key}`);
  return m;
};

/** The wire imprint of a named item, unique to this run. */
const item = (name: string): Buffer =>
  Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(`${world.workDir}/${name}`))));

function dataEvent(fields: Partial<eventV1.DataEvent>): eventV1.DataEvent {
  return eventV1.DataEvent.fromPartial({
    eventId: Buffer.from(mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16)))),
    occurredAtUs: BigInt(Date.now() * 1000),
    ...fields,
  });
}

async function submit(events: eventV1.DataEvent[]): Promise<ingestV1.SubmitBatchResponse> {
  const client = new ingestV1.IngestServiceClient(world.pipeline.ingestAddress, credentials.createInsecure());
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
    world.pipeline.alerterAddress ?? '',
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
  admin = await connectAs('admin');
});

afterAll(async () => {
  await admin?.close().catch(() => undefined);
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
    const pii = await eventually(
      'pii alert',
      async () => {
        const ids = await alertsFor('pii-outside-allowed-regions');
        return ids.length === 0 ? undefined : ids;
      },
      { timeoutMs: 60_000 },
    );
    expect(pii).toContain(formatUuid(piiToUs.eventId));
    const custody = await eventually(
      'custody alert (after anchoring)',
      async () => {
        const ids = await alertsFor('unknown-provenance');
        return ids.includes(formatUuid(ghostRead.eventId)) ? ids : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(custody).toContain(formatUuid(ghostRead.eventId));

    // The calendar (user calendar) appended rounds, and the alerter (user alerter) published alerts.
    const jsm = await jetstreamManager(admin);
    expect((await jsm.streams.info('MSI_ROUNDS')).state.messages).toBeGreaterThan(0);
    expect((await jsm.streams.info('MSI_ALERTS')).state.messages).toBeGreaterThan(0);
    expect((await jsm.streams.info('MSI_ROUNDS')).config.num_replicas).toBe(3);
    // Ingest (user ingest) claimed the ids in its claims stream, which it created with 3 replicas.
    const claims = await jsm.streams.info('MSI_CLAIMS');
    expect(claims.state.messages).toBeGreaterThan(0);
    expect(claims.config.num_replicas).toBe(3);
    // Checkpoints (calendar) reach the verifier's consumer (user verifier; no acks: its ack floor follows delivery).
    await eventually(
      'checkpoints acked by the verifier',
      async () =>
        (await jsm.consumers.info('MSI_CHECKPOINTS', 'verifier_checkpoints')).ack_floor.stream_seq > 0,
      { timeoutMs: 30_000 },
    );
    const rounds = await jsm.consumers.info('MSI_ROUNDS', 'verifier_rounds');
    expect(rounds.ack_floor.stream_seq).toBeGreaterThan(0);
    // The verifier (user verifier) may also run its consumer of the calendar's publications.
    await eventually(
      "the verifier's publications consumer",
      async () => (await jsm.consumers.info('MSI_PUBLICATIONS', 'verifier_publications')).name,
      { timeoutMs: 30_000 },
    );
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

  it('an operator changes the shard map through ingest; the aggregators follow it; the alerter may not write it', async () => {
    const client = new ingestV1ShardAdmin.ShardAdminServiceClient(
      world.pipeline.ingestAddress,
      credentials.createInsecure(),
    );
    const call = <T>(run: (done: (e: Error | null, r?: T) => void) => void): Promise<T> =>
      new Promise((resolve, reject) =>
        run((e, r) => (e !== null || r === undefined ? reject(e) : resolve(r))),
      );
    try {
      const before = await call<ingestV1ShardAdmin.GetShardMapResponse>((done) =>
        client.getShardMap({}, bearer(OPERATOR), done),
      );
      const changed = await call<ingestV1ShardAdmin.SetShardCountResponse>((done) =>
        client.setShardCount(
          { count: before.activeCount + 1, expectedVersion: before.version },
          bearer(OPERATOR),
          done,
        ),
      );
      expect(changed.map?.version).toBe(before.version + 1n);
      // Events still anchor on the new map (ingest reads and reports it; the aggregators serve it).
      const response = await submit([
        dataEvent({ kind: eventV1.EventKind.EVENT_KIND_STORE, data: item('resharded'), actor: 'a' }),
      ]);
      expect(response.acks[0]?.outcome?.$case).toBe('durable');
      await eventually(
        'the aggregators serve the new shard',
        async () => {
          const map = await call<ingestV1ShardAdmin.GetShardMapResponse>((done) =>
            client.getShardMap({}, bearer(OPERATOR), done),
          );
          return map.shards.every((s) => s.owner !== '') ? map : undefined;
        },
        { timeoutMs: 30_000, detail: () => world.logTail() },
      );
    } finally {
      client.close();
    }
    const nc = await connectAs('alerter');
    try {
      await expect(
        jetstream(nc).publish('$KV.MSI_SHARDS.map', new TextEncoder().encode('forged map'), {
          timeout: 2000,
        }),
      ).rejects.toThrow();
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

  it('refuses the alerter a claim: msi.claims is ingest’s alone', async () => {
    const nc = await connectAs('alerter');
    try {
      const jsm = await jetstreamManager(admin);
      const before = (await jsm.streams.info('MSI_CLAIMS')).state.last_seq;
      await expect(
        jetstream(nc).publish('msi.claims', new TextEncoder().encode('forged claim'), { timeout: 2000 }),
      ).rejects.toThrow();
      expect((await jsm.streams.info('MSI_CLAIMS')).state.last_seq).toBe(before);
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
