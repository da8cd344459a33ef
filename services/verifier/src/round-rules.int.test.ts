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
import { connectNats, streamNamesFor, subjectsFor } from '@msi/nats';
import { streamV1, verifierV1 } from '@msi/proto';
import { createLogger } from '@msi/service-kit';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  eventually,
  type FreshDatabase,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from './credentials.js';
import { integritySubject } from './integrity.js';
import { SCHEMA } from './schema.js';
import { type RunningTestVerifier, startTestVerifier } from './verifier.test-helper.js';

/*
 * Every rule of docs/PROOFS.md §6 a follower judges (core followRound), each broken by one round the
 * test crafts and signs with the calendar key, and published on the rounds stream after the seals it
 * carries: the verifier must publish an IntegrityFailure for it on <prefix>.integrity.verifier and
 * not mark it verified. The test follows its own rounds with core followRound, so each crafted round
 * breaks only its rule (a failing round is still followed: the next one builds on it). The seals are
 * not over real events (their own SEAL_MISMATCH failures are on the seal stream, not asserted here).
 * CHECKPOINT_ORIGIN cannot be crafted here: the one trusted key's name is the origin (core unit test).
 */
const prefix = uniquePrefix();
const hasher = nodeHasher();
const ORIGIN = 'calendar.rules';
const key = generateNoteKey(ORIGIN, new Uint8Array(32).fill(21));
const sameNameOtherKey = generateNoteKey(ORIGIN, new Uint8Array(32).fill(22));
const trust = { logKey: verifierKeyOf(key.signer) };
const T0 = Date.now() * 1000;
const Kind = verifierV1.IntegrityFailureKind;
let database: FreshDatabase;
let nc: NatsConnection;
let js: JetStreamClient;
let verifier: RunningTestVerifier;
const published: verifierV1.IntegrityFailure[] = [];

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'verifier_round_rules');
  nc = await connectNats({ servers: natsUrl, name: 'verifier-round-rules-test' });
  js = jetstream(nc);
  const sub = nc.subscribe(integritySubject(prefix));
  void (async () => {
    for await (const m of sub) published.push(verifierV1.IntegrityFailure.decode(m.data));
  })();
  verifier = await startTestVerifier({
    nc,
    databaseUrl: database.url,
    prefix,
    calendarKey: formatVerifierKey(verifierKeyOf(key.signer)),
    keys: ApiKeys.fromJson('{"credentials":[]}'),
    hasher,
    ed25519: nodeEd25519(),
    host: '127.0.0.1',
    port: 0,
    log: createLogger({ service: 'verifier-test', level: 'error' }),
  });
}, 60_000);

afterAll(async () => {
  await verifier?.stop();
  await nc?.close();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
});

// ---- the crafted calendar (the same crafting as the alerter's round-rules.int.test.ts) ----

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

/** The failure published for the round message at `seq`, once there is one. */
async function failureAt(seq: number, kind: verifierV1.IntegrityFailureKind) {
  return eventually(`a failure for rounds#${seq}`, async () =>
    published.find(
      (f) =>
        f.stream === streamNamesFor(prefix).rounds && Number(f.streamSequence) === seq && f.kind === kind,
    ),
  );
}

describe('every rule a round breaks is an integrity failure', () => {
  it('an honest round 0 is verified', async () => {
    roundZero = await craft(1);
    const seq = await publishRound(roundZero);
    followed = followRound(hasher, followed, roundZero, trust).state;
    const verified = await eventually('round 0 applied', async () => {
      const { rows } = await verifier.pool.query(`SELECT verified FROM ${SCHEMA}.rounds WHERE k = 0`);
      return rows[0]?.verified as boolean | undefined;
    });
    expect(verified).toBe(true);
    expect(
      published.filter((f) => Number(f.streamSequence) === seq && f.stream === streamNamesFor(prefix).rounds),
    ).toEqual([]);
  });

  it.each(cases)('%s', async (code, build) => {
    const anchored = await build();
    const judged = followRound(hasher, followed, anchored, trust);
    expect(judged.violations.map((v) => v.code)).toContain(code); // the crafted round breaks its rule
    const seq = await publishRound(anchored);
    const k = followed.size;
    followed = judged.state; // what the verifier follows too, whatever this test finds
    const kind = code.startsWith('CHECKPOINT_')
      ? Kind.INTEGRITY_FAILURE_KIND_CHECKPOINT_INVALID
      : Kind.INTEGRITY_FAILURE_KIND_ROUND_MISMATCH;
    const failure = await failureAt(seq, kind);
    expect(failure.detail).toContain(code);
    expect(Number(failure.number)).toBe(k);
    const { rows } = await verifier.pool.query(
      `SELECT k, verified FROM ${SCHEMA}.rounds WHERE stream_seq = $1`,
      [seq],
    );
    if (judged.kind === 'not-followed') {
      expect(rows).toEqual([]); // not appended
    } else {
      expect(rows.map((r) => [Number(r.k), r.verified])).toEqual([[k, false]]);
    }
  });
});
