import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AnchoredRound,
  emptyFollowerState,
  encodeRound,
  encodeSeal,
  type FollowerState,
  type FollowViolationCode,
  followRound,
  formatVerifierKey,
  generateNoteKey,
  type RoundRecord,
  roundLeafHash,
  signCheckpoint,
  verifierKeyOf,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { merkleRoot } from '@msi/merkle';
import { connectNats, subjectsFor } from '@msi/nats';
import { streamV1 } from '@msi/proto';
import { CredentialStore, createLogger } from '@msi/service-kit';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  eventually,
  type FreshDatabase,
  repositoryRoot,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAlerts } from './alert-store.js';
import { type RunningTestAlerter, startTestAlerter } from './alerter-start.test-helper.js';

/*
 * Every rule of docs/PROOFS.md §6 a follower judges (core followRound), each broken by one round the
 * test crafts and signs with the calendar key, and published on the rounds stream after the seals it
 * carries: each must raise its alert. The test follows its own rounds with core followRound, so each
 * crafted round breaks only its rule (a failing round is still followed: the next one builds on it).
 * CHECKPOINT_ORIGIN cannot be crafted here: the one trusted key's name is the origin (core unit test).
 */
const prefix = uniquePrefix();
const hasher = nodeHasher();
const ORIGIN = 'calendar.rules';
const key = generateNoteKey(ORIGIN, new Uint8Array(32).fill(21));
const sameNameOtherKey = generateNoteKey(ORIGIN, new Uint8Array(32).fill(22));
const trust = { logKey: verifierKeyOf(key.signer) };
const T0 = Date.now() * 1000;
let database: FreshDatabase;
let nc: NatsConnection;
let js: JetStreamClient;
let workDir: string;
let alerter: RunningTestAlerter;

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'alerter_round_rules');
  workDir = await mkdtemp(join(tmpdir(), 'msi-alerter-round-rules-'));
  const policyFile = join(workDir, 'policy.yaml');
  await writeFile(
    policyFile,
    await readFile(join(repositoryRoot(), 'services/alerter/policies/default.yaml')),
  );
  nc = await connectNats({ servers: natsUrl, name: 'alerter-round-rules-test' });
  js = jetstream(nc);
  alerter = await startTestAlerter({
    nc,
    databaseUrl: database.url,
    prefix,
    calendarKey: formatVerifierKey(verifierKeyOf(key.signer)),
    policyFile,
    credentials: CredentialStore.fromJson('{"credentials":[]}'),
    secretFromEnv: () => undefined,
    hasher,
    ed25519: nodeEd25519(),
    host: '127.0.0.1',
    port: 0,
    log: createLogger({ service: 'alerter-test', level: 'error' }),
  });
}, 60_000);

afterAll(async () => {
  await alerter?.stop();
  await nc?.close();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

// ---- the crafted calendar (the same crafting as the verifier's round-rules.int.test.ts) ----

/** The calendar as the test follows it, and the next seal-stream sequence. */
let followed: FollowerState = emptyFollowerState(hasher);
let nextSealSeq = 1;
let sealNumber = 0;

/** Publishes a seal of `shard` (one leaf at events sequence 0) on the seal stream; its record bytes. */
async function publishSeal(shard: number, maxReceivedAt = T0 - 1): Promise<Uint8Array> {
  const seal = encodeSeal({
    shard,
    sealNumber: sealNumber++,
    streamStart: 0,
    streamEnd: 1,
    leafCount: 1,
    maxReceivedAt,
    root: new Uint8Array(32).fill(shard + 1),
  });
  const message = streamV1.ShardSealed.encode({
    version: 1,
    seal: Buffer.from(seal),
    aggregatorId: 'crafted',
    leaseRevision: 0n,
    shardMapVersion: 0n,
  }).finish();
  const ack = await js.publish(subjectsFor(prefix).seals(shard), message);
  nextSealSeq = ack.seq + 1;
  return seal;
}

/** The next round the calendar would close over `carried`, with `change` applied. */
function nextRecord(carried: readonly Uint8Array[], change: Partial<RoundRecord> = {}): RoundRecord {
  return {
    round: followed.size,
    closedAt: (followed.lastClosedAt ?? T0) + 1000,
    intervalMs: followed.intervalMs ?? 1000,
    sealsStart: followed.sealsEnd ?? 1,
    sealsEnd: nextSealSeq,
    sealCount: carried.length,
    root: merkleRoot(hasher, carried),
    ...change,
  };
}

/** A RoundAnchored for round bytes and carried seals, its checkpoint signed over the test's calendar. */
function anchoredOf(
  round: Uint8Array,
  seals: readonly Uint8Array[],
  checkpoint: (size: number, root: Uint8Array) => string = (size, root) =>
    signCheckpoint({ origin: ORIGIN, size, root, extensions: [] }, key.signer),
): AnchoredRound {
  const range = followed.range.clone();
  range.append(roundLeafHash(hasher, round));
  return { round, seals, checkpoint: checkpoint(range.size, range.root()) };
}

/** A round closed over `count` fresh seals, `change` applied to its record. */
async function craft(count: number, change: Partial<RoundRecord> = {}): Promise<AnchoredRound> {
  const seals: Uint8Array[] = [];
  for (let i = 0; i < count; i++) seals.push(await publishSeal(i % 4));
  return anchoredOf(encodeRound(nextRecord(seals, change)), seals);
}

let roundZero: AnchoredRound | undefined;

/** Each rule, and the round that breaks it (built when its turn comes, on the calendar so far). */
const cases: [FollowViolationCode, () => Promise<AnchoredRound>][] = [
  [
    'ROUND_INVALID',
    async () => {
      // An empty round whose seals_end is below its seals_start (validateRound: SEALS_RANGE).
      const bytes = encodeRound(nextRecord([]));
      new DataView(bytes.buffer).setUint32(37, nextRecord([]).sealsStart - 1);
      return anchoredOf(bytes, []);
    },
  ],
  ['INTERVAL_CHANGED', () => craft(1, { intervalMs: (followed.intervalMs ?? 1000) * 2 })],
  ['CLOSED_AT_NOT_INCREASING', () => craft(1, { closedAt: followed.lastClosedAt ?? T0 })],
  ['SEALS_START', () => craft(1, { sealsStart: (followed.sealsEnd ?? 1) - 1 })],
  [
    'SEAL_COUNT',
    async () => {
      const seals = [await publishSeal(0), await publishSeal(1)];
      return anchoredOf(encodeRound(nextRecord(seals.slice(0, 1), { sealCount: 2 })), seals.slice(0, 1));
    },
  ],
  [
    'SEAL_MALFORMED',
    async () => {
      await publishSeal(0);
      const garbage = [new Uint8Array(80).fill(7)];
      return anchoredOf(encodeRound(nextRecord(garbage)), garbage);
    },
  ],
  [
    'SEALS_ORDER',
    async () => {
      const seals = [await publishSeal(2), await publishSeal(1)];
      return anchoredOf(encodeRound(nextRecord(seals)), seals);
    },
  ],
  [
    'CLOSED_BEFORE_SEAL',
    async () => {
      const record = nextRecord([]);
      const seals = [await publishSeal(3, record.closedAt + 1)];
      return anchoredOf(encodeRound(nextRecord(seals)), seals);
    },
  ],
  ['ROOT_MISMATCH', () => craft(1, { root: new Uint8Array(32).fill(1) })],
  [
    'CHECKPOINT_INVALID',
    async () => {
      const seals = [await publishSeal(0)];
      return anchoredOf(encodeRound(nextRecord(seals)), seals, (size, root) =>
        signCheckpoint({ origin: ORIGIN, size, root, extensions: [] }, sameNameOtherKey.signer),
      );
    },
  ],
  [
    'CHECKPOINT_SIZE',
    async () =>
      anchoredOf(encodeRound(nextRecord([])), [], (size) =>
        signCheckpoint(
          { origin: ORIGIN, size: size - 1, root: followed.range.root(), extensions: [] },
          key.signer,
        ),
      ),
  ],
  [
    'CHECKPOINT_ROOT',
    async () =>
      anchoredOf(encodeRound(nextRecord([])), [], (size) =>
        signCheckpoint(
          { origin: ORIGIN, size, root: new Uint8Array(32).fill(2), extensions: [] },
          key.signer,
        ),
      ),
  ],
  ['ROUND_MALFORMED', async () => anchoredOf(encodeRound(nextRecord([])).subarray(0, 76), [])],
  ['ROUND_REPEATED', async () => roundZero as AnchoredRound],
  ['ROUND_GAP', async () => anchoredOf(encodeRound(nextRecord([], { round: followed.size + 1 })), [])],
];

async function publishRound(anchored: AnchoredRound): Promise<number> {
  const message = streamV1.RoundAnchored.encode({
    version: 1,
    round: Buffer.from(anchored.round),
    checkpoint: anchored.checkpoint,
    seals: anchored.seals.map((s) => Buffer.from(s)),
  }).finish();
  return (await js.publish(subjectsFor(prefix).rounds, message)).seq;
}

/** The alert rule (and `check` detail) each broken rule raises. */
function expectedAlert(code: FollowViolationCode): { rule: string; check?: string } {
  switch (code) {
    case 'ROUND_MALFORMED':
      return { rule: 'malformed-message' };
    case 'ROUND_GAP':
      return { rule: 'calendar-gap' };
    case 'ROUND_REPEATED':
      return { rule: 'calendar-duplicate-leaf' };
    case 'CLOSED_AT_NOT_INCREASING':
      return { rule: 'calendar-time-backwards' };
    case 'CHECKPOINT_INVALID':
      return { rule: 'checkpoint-invalid' };
    case 'CHECKPOINT_ORIGIN':
    case 'CHECKPOINT_SIZE':
    case 'CHECKPOINT_ROOT':
      return { rule: 'checkpoint-inconsistent' }; // one alert per calendar: repeats count occurrences
    default:
      return { rule: 'round-invalid', check: code };
  }
}

/** How often the alert has been raised so far (occurrences of its open alerts). */
async function raised(expected: { rule: string; check?: string }): Promise<number> {
  const alerts = await listAlerts(alerter.pool, {}, 0, 1000);
  return alerts
    .filter(
      (a) => a.rule === expected.rule && (expected.check === undefined || a.details.check === expected.check),
    )
    .reduce((n, a) => n + a.occurrences, 0);
}

describe('every rule a round breaks raises an alert', () => {
  it('an honest round 0 raises nothing', async () => {
    roundZero = await craft(1);
    const seq = await publishRound(roundZero);
    followed = followRound(hasher, followed, roundZero, trust).state;
    await eventually('round 0 applied', async () => {
      const { rows } = await alerter.pool.query('SELECT size FROM alerter.calendar');
      return Number(rows[0].size) === 1 ? true : undefined;
    });
    const alerts = await listAlerts(alerter.pool, {}, 0, 100);
    expect(
      alerts.filter((a) => a.details.round === '0'),
      `round 0 (rounds#${seq})`,
    ).toEqual([]);
  });

  it.each(cases)('%s', async (code, build) => {
    const anchored = await build();
    const judged = followRound(hasher, followed, anchored, trust);
    expect(judged.violations.map((v) => v.code)).toContain(code); // the crafted round breaks its rule
    const expected = expectedAlert(code);
    const before = await raised(expected);
    await publishRound(anchored);
    const k = followed.size;
    followed = judged.state; // what the alerter follows too, whatever this test finds
    await eventually(`${expected.rule} ${expected.check ?? ''}`, async () =>
      (await raised(expected)) > before ? true : undefined,
    );
    if (expected.rule === 'round-invalid') {
      const alerts = await listAlerts(alerter.pool, {}, 0, 1000);
      const alert = alerts.find((a) => a.rule === 'round-invalid' && a.details.check === code);
      expect(alert?.severity).toBe('critical');
      expect(alert?.message).toContain(code);
      expect(alert?.details.round).toBe(String(k));
    }
  });
});
