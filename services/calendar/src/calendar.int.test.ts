import { decodeRound, decodeSeal, openCheckpoint, roundLeafHash, verifierKeyOf } from '@msi/core';
import { portableHasher, verifyInclusion } from '@msi/merkle';
import { streamV1 } from '@msi/proto';
import { eventually } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoundOutcome } from './calendar.js';
import { calendarInclusionProof } from './calendar-nodes.js';
import { calendarCheckpoint, calendarRound } from './calendar-queries.js';
import { makeSeal } from './fixtures.test-helper.js';
import {
  calendarSizeOf,
  logKey,
  type Namespace,
  openNamespace,
  publishSeal,
  startInProcess,
  storedRounds,
} from './integration.test-helper.js';

const hasher = portableHasher();
const INTERVAL = 250;
let ns: Namespace;
let stop: () => Promise<void> = async () => {};
const outcomes: RoundOutcome[] = [];

beforeAll(async () => {
  ns = await openNamespace();
  const started = await startInProcess(ns, {
    intervalMs: INTERVAL,
    instanceId: 'in-process-a',
    onRound: (outcome) => outcomes.push(outcome),
  });
  stop = started.stop;
});

afterAll(async () => {
  await stop();
  await ns?.cleanup();
});

describe('calendar (in process, real NATS and Postgres)', () => {
  it('appends an empty round every interval, gapless, closed_at strictly increasing', async () => {
    await eventually('5 rounds', async () => ((await calendarSizeOf(ns.pool)) >= 5 ? true : undefined));
    const rounds = await storedRounds(ns.pool);
    rounds.forEach((round, i) => {
      expect(round.k).toBe(i);
      const record = decodeRound(round.record);
      expect(record).toMatchObject({ round: i, closedAt: round.closedAt, intervalMs: INTERVAL });
      if (i > 0) expect(round.closedAt).toBeGreaterThan(rounds[i - 1]?.closedAt ?? Infinity);
      if (i > 0) expect(round.sealsStart).toBe(rounds[i - 1]?.sealsEnd);
    });
    // One round per interval: successive closed_at are about an interval apart (never backfilled).
    const gaps = rounds.slice(1).map((round, i) => (round.closedAt - (rounds[i]?.closedAt ?? 0)) / 1000);
    expect(Math.min(...gaps)).toBeGreaterThan(INTERVAL / 2);
    expect(outcomes.filter((o) => o.kind === 'appended').length).toBeGreaterThanOrEqual(5);
  });

  it('covers exactly the published seals (a redelivered one once) and publishes a verifying RoundAnchored', async () => {
    const now = Date.now() * 1000;
    const seals = [makeSeal(2, 0, now), makeSeal(0, 0, now - 10), makeSeal(0, 1, now + 5_000)];
    const seqs: number[] = [];
    for (const seal of seals) seqs.push(await publishSeal(ns, seal));
    seqs.push(await publishSeal(ns, seals[0] ?? makeSeal(9, 9, 1))); // redelivered: a new message, same seal
    // A round may close between two of the publishes (rounds are 250 ms): wait until every seal
    // message is covered, then judge the rounds that took them together.
    const lastSeq = Math.max(...seqs);
    const rounds = await eventually('the rounds covering every seal message', async () => {
      const stored = await storedRounds(ns.pool);
      return (stored.at(-1)?.sealsEnd ?? 0) > lastSeq ? stored : undefined;
    });
    const withSeals = rounds.filter((round) => round.sealCount > 0);
    expect(withSeals[0]?.sealsStart).toBe(1);
    // three seals, the redelivered message counted once, whichever round it fell in
    expect(withSeals.reduce((n, round) => n + round.sealCount, 0)).toBe(3);
    const coveredSeals: { round: number; shard: number; sealNumber: number }[] = [];
    for (const round of withSeals) {
      const stored = await calendarRound(ns.pool, round.k);
      for (const bytes of stored?.seals ?? []) coveredSeals.push({ round: round.k, ...decodeSeal(bytes) });
    }
    expect(
      coveredSeals
        .map((s) => [s.shard, s.sealNumber])
        .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0)),
    ).toEqual([
      [0, 0],
      [0, 1],
      [2, 0],
    ]);
    // The round of the seal received last closes no earlier than its received-at.
    const latestK = coveredSeals.find((s) => s.shard === 0 && s.sealNumber === 1)?.round ?? -1;
    const covering = withSeals.find((round) => round.k === latestK) ?? withSeals[0];
    if (covering === undefined) throw new Error('no round covers the seals');
    expect(decodeRound(covering.record).closedAt).toBeGreaterThanOrEqual(now + 5_000);
    const stored = await calendarRound(ns.pool, covering.k);

    // The checkpoint at size k + 1 verifies; the round's inclusion proof from stored nodes verifies.
    const size = covering.k + 1;
    const checkpoint = await calendarCheckpoint(ns.pool, size);
    const opened = openCheckpoint(checkpoint?.note ?? '', [verifierKeyOf(logKey.signer)]);
    expect(opened.checkpoint).toMatchObject({ origin: logKey.signer.name, size });
    const proof = await calendarInclusionProof(ns.pool, covering.k, size);
    verifyInclusion(
      hasher,
      covering.k,
      size,
      roundLeafHash(hasher, covering.record),
      proof,
      opened.checkpoint.root,
    );
    // ...and in every later calendar too.
    const later = await calendarSizeOf(ns.pool);
    const laterCheckpoint = await calendarCheckpoint(ns.pool, later);
    const laterProof = await calendarInclusionProof(ns.pool, covering.k, later);
    verifyInclusion(
      hasher,
      covering.k,
      later,
      roundLeafHash(hasher, covering.record),
      laterProof,
      laterCheckpoint?.root ?? new Uint8Array(),
    );

    // RoundAnchored arrives on <prefix>.rounds with the round, the checkpoint and the seals in order.
    const message = await eventually('RoundAnchored of the round', async () => {
      const found = await ns.jsm.streams
        .getMessage(ns.streams.rounds, { seq: covering.k + 1 })
        .catch(() => null);
      return found ?? undefined;
    });
    const anchored = streamV1.RoundAnchored.decode(message.data);
    expect(message.subject).toBe(ns.subjects.rounds);
    expect(message.header.get('Nats-Msg-Id')).toBe(`round-${covering.k}`);
    expect(new Uint8Array(anchored.round)).toEqual(covering.record);
    expect(anchored.checkpoint).toBe(checkpoint?.note);
    expect(anchored.seals.map((s) => new Uint8Array(s))).toEqual(stored?.seals);
  });

  it('publishes every round to <prefix>.rounds once, in order', async () => {
    const size = await calendarSizeOf(ns.pool);
    await eventually('the outbox to drain', async () => {
      const info = await ns.jsm.streams.info(ns.streams.rounds);
      return info.state.last_seq >= size ? true : undefined;
    });
    for (let seq = 1; seq <= size; seq++) {
      const message = await ns.jsm.streams.getMessage(ns.streams.rounds, { seq });
      expect(
        decodeRound(new Uint8Array(streamV1.RoundAnchored.decode(message?.data ?? new Uint8Array()).round))
          .round,
      ).toBe(seq - 1);
    }
  });
});
