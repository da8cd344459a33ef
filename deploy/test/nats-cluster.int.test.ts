import { eventually } from '@msi/testkit';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './nats-cluster.test-helper.js';

// Three real nats-server processes from deploy/nats/nats.conf (nats-cluster.test-helper.ts): the
// JetStream cluster keeps every acknowledged message when a node dies.

describe('deploy/nats/nats.conf: a 3-node JetStream cluster', () => {
  let cluster: TestCluster | undefined;
  let nc: NatsConnection | undefined;

  beforeAll(async () => {
    cluster = await startTestCluster();
    // Stream maintenance is the operators' job: the admin user.
    nc = await connect({
      servers: [...cluster.servers],
      user: 'admin',
      pass: cluster.passwords.admin,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
  }, 60_000);

  afterAll(async () => {
    await nc?.close().catch(() => undefined);
    await cluster?.stop();
  });

  it('replicates an R3 stream and keeps every acked message when the stream leader is killed', async () => {
    if (nc === undefined) throw new Error('not connected');
    const conn = nc;
    // JetStream answers once the routes are up and a meta leader is elected.
    const jsm = await eventually('JetStream API ready', () => jetstreamManager(conn, { timeout: 2000 }), {
      timeoutMs: 30_000,
    });
    const js = jetstream(conn);
    const stream = 'DEPLOY_TEST';
    await eventually(
      'R3 stream created',
      () =>
        jsm.streams.add({
          name: stream,
          subjects: ['deploy.test.>'],
          num_replicas: 3,
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
        }),
      { timeoutMs: 30_000 },
    );
    const info = await eventually(
      'stream leader and 2 current replicas',
      async () => {
        const i = await jsm.streams.info(stream);
        const current = (i.cluster?.replicas ?? []).filter((r) => r.current).length;
        if (i.cluster?.leader === undefined || current !== 2) throw new Error(`leader/replicas not ready`);
        return i;
      },
      { timeoutMs: 20_000 },
    );
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.name).toBe('msi');

    const sent: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const body = `before-${i}`;
      const ack = await js.publish(`deploy.test.${i % 3}`, body, { msgID: body });
      expect(ack.stream).toBe(stream);
      sent.push(body);
    }

    // Kill the stream's leader outright (no lame duck): a quorum of 2 remains.
    const leader = cluster?.nodes.find((n) => n.name === info.cluster?.leader);
    expect(leader).toBeDefined();
    leader?.process?.kill('SIGKILL');

    for (let i = 0; i < 20; i += 1) {
      const body = `after-${i}`;
      // Retried with the same msgID until a new leader answers: stored once (duplicate window).
      await eventually(
        'publish after the leader died',
        () => js.publish(`deploy.test.${i % 3}`, body, { msgID: body, timeout: 2000 }),
        { timeoutMs: 20_000 },
      );
      sent.push(body);
    }

    const after = await jsm.streams.info(stream);
    expect(after.cluster?.leader).not.toBe(leader?.name);
    expect(after.state.messages).toBe(sent.length);
    const read: string[] = [];
    for (let seq = 1; seq <= sent.length; seq += 1) {
      const message = await jsm.streams.getMessage(stream, { seq });
      read.push(message?.string() ?? '<missing>');
    }
    expect(read).toEqual(sent);
  }, 60_000);
});
