import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeRound,
  encodeSeal,
  formatVerifierKey,
  generateNoteKey,
  parseSignerKey,
  roundLeafHash,
  signCheckpoint,
  verifierKeyOf,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { CompactRange } from '@msi/merkle';
import { defaultStreamSettings, ensureStreams, streamNamesFor, subjectsFor } from '@msi/nats';
import { streamV1 } from '@msi/proto';
import { CredentialStore, createLogger } from '@msi/service-kit';
import { eventually, repositoryRoot, useWorld } from '@msi/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import { listAlerts } from './alert-store.js';
import { type RunningTestAlerter, startTestAlerter } from './alerter-start.test-helper.js';

/*
 * An alerter started on a log whose events stream has already dropped old events (retention): the
 * rounds that anchor them must not wait for events that will never come.
 */
const world = useWorld({ label: 'alerter_retention', database: true, nats: true });
const prefix = world.prefix;
const hasher = nodeHasher();
const signer = parseSignerKey(generateNoteKey('calendar.test', new Uint8Array(32).fill(5)).signerKey);
let alerter: RunningTestAlerter | undefined;

afterAll(async () => {
  await alerter?.stop();
});

describe('rounds whose events the stream no longer holds', () => {
  it('are applied at once, without waiting for the events', async () => {
    const jsm = await jetstreamManager(world.nc);
    const js = jetstream(world.nc);
    const subjects = subjectsFor(prefix);
    const names = streamNamesFor(prefix);
    await ensureStreams(jsm, prefix, { ...defaultStreamSettings, replicas: 1 });
    // Twelve event batches, then the stream's retention drops them all (first_seq becomes 13).
    for (let i = 0; i < 12; i++) {
      await js.publish(
        subjects.events(0),
        streamV1.EventBatch.encode({ version: 1, batchId: `b${i}`, shard: 0, events: [] }).finish(),
      );
    }
    await jsm.streams.purge(names.events);
    // A seal of events 1..4 and the round that anchors it.
    const seal = encodeSeal({
      shard: 0,
      sealNumber: 0,
      streamStart: 1,
      streamEnd: 5,
      leafCount: 4,
      maxReceivedAt: Date.now() * 1000,
      root: new Uint8Array(32).fill(3),
    });
    const sealAck = await js.publish(
      subjects.seals(0),
      streamV1.ShardSealed.encode({
        version: 1,
        seal: Buffer.from(seal),
        aggregatorId: 'a',
        leaseRevision: 1n,
        shardMapVersion: 0n,
      }).finish(),
    );
    const round = encodeRound({
      round: 0,
      closedAt: Date.now() * 1000,
      intervalMs: 1000,
      sealsStart: sealAck.seq,
      sealsEnd: sealAck.seq + 1,
      sealCount: 1,
      root: new Uint8Array(32).fill(4),
    });
    const range = new CompactRange(hasher);
    range.append(roundLeafHash(hasher, round));
    const checkpoint = signCheckpoint(
      { origin: 'calendar.test', size: 1, root: range.root(), extensions: [] },
      signer,
    );
    await js.publish(
      subjects.rounds,
      streamV1.RoundAnchored.encode({
        version: 1,
        round: Buffer.from(round),
        checkpoint,
        seals: [Buffer.from(seal)],
      }).finish(),
    );

    const policyFile = join(world.workDir, 'policy.yaml');
    await writeFile(
      policyFile,
      await readFile(join(repositoryRoot(), 'services/alerter/policies/default.yaml')),
    );
    const started = Date.now();
    alerter = await startTestAlerter({
      nc: world.nc,
      databaseUrl: world.databaseUrl,
      prefix,
      calendarKey: formatVerifierKey(verifierKeyOf(signer)),
      policyFile,
      credentials: CredentialStore.fromJson('{"credentials":[]}'),
      secretFromEnv: () => undefined,
      hasher,
      ed25519: nodeEd25519(),
      host: '127.0.0.1',
      port: 0,
      log: createLogger({ service: 'alerter-test', level: 'error' }),
    });
    const running = alerter;
    await eventually('the round applied', async () => {
      const { rows } = await running.pool.query('SELECT size FROM alerter.calendar');
      return Number(rows[0].size) === 1 ? true : undefined;
    });
    // Well under the 30 s a round waits for events that may still come.
    expect(Date.now() - started).toBeLessThan(15_000);
    const rules = (await listAlerts(running.pool, {}, 0, 100)).map((a) => a.rule);
    expect(rules).not.toContain('round-events-missing');
    expect(rules).not.toContain('checkpoint-inconsistent');
  }, 60_000);
});
