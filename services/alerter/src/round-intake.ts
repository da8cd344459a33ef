import {
  bytesEqual,
  type DataEvent,
  emptyFollowerState,
  type FollowerState,
  type FollowViolation,
  followRound,
  formatImprint,
  formatUuid,
  packCompactRange,
  packFollowerState,
  type RoundRecord,
  type SealRecord,
  unpackCompactRange,
  unpackFollowerState,
} from '@msi/core';
import type { Policy } from '@msi/policy';
import { type PoolClient, toBytes, toSafeInteger, toText } from '@msi/postgres';
import { streamV1 } from '@msi/proto';
import type { PumpHandler, PumpMessage } from '@msi/service-kit';
import type { AlertCandidate } from './alert.js';
import { markAnchored } from './alert-store.js';
import { type AlerterContext, DEFAULT_DEDUPE_WINDOW_US } from './alerter-context.js';
import type { CustodyState } from './custody.js';
import { loadCustody, saveCustody } from './custody-store.js';
import { stagedEvents } from './event-intake.js';
import { type IntegrityFinding, integrityCandidate, malformedMessage } from './integrity-candidates.js';
import { SCHEMA } from './schema.js';
import type { StagedEvents } from './staged-events.js';

/** How long a round waits for the seals and events it covers to be applied before it is judged without them. */
const READINESS_TIMEOUT_MS = 30_000;

export interface RoundIntakeOptions {
  /** The staged events (memory, else the events stream). */
  readonly staged: StagedEvents;
  /** The last applied sequence of the events and seals streams (the pumps' cursors). */
  readonly eventsCursor: () => number;
  readonly sealsCursor: () => number;
  /** The first sequence the events / seals streams still hold: older messages are gone for good. */
  readonly eventsFloor: () => number;
  readonly sealsFloor: () => number;
  readonly readinessTimeoutMs?: number;
}

/** The alerter's view of the calendar (table `calendar`). */
interface CalendarRow {
  /** Rounds seen: the follower's size, or past a gap the highest round + 1. */
  size: number;
  /** The calendar as followed (core followRound); not kept once broken. */
  follower: FollowerState;
  /** interval_ms for the service levels (the last round's, when usable). */
  intervalMs: number;
  /** Why the calendar can no longer be followed (a gap), or ''. */
  broken: string;
}

/**
 * Anchored rounds, in calendar order: the integrity of the calendar itself — each round judged by
 * core followRound against the calendar followed so far (every rule of docs/PROOFS.md §6 and its
 * checkpoint: signed by the calendar key, naming k + 1 and the root of the calendar rebuilt from the
 * leaves, which makes it consistent with every earlier one), each broken rule an alert; a repeated
 * round number is a duplicate, a rewrite or out of order, a gap stops the following — then the
 * events of the round's seals in calendar order through the chain-of-custody rules and the policy's
 * `anchored` rules, with the facts of STATE events applied as they come.
 */
export function roundsHandler(ctx: AlerterContext, o: RoundIntakeOptions): PumpHandler {
  let waitingSince: { seq: number; atMs: number } | undefined;
  return async (message, tx) => {
    let anchored: streamV1.RoundAnchored;
    try {
      anchored = streamV1.RoundAnchored.decode(message.data);
    } catch (error: unknown) {
      await ctx.raise(tx, [malformedMessage('rounds', message, (error as Error).message, ctx.nowMs())]);
      return 'applied';
    }
    const calendar = await loadCalendar(ctx, tx);
    const followed = followRound(ctx.hasher, calendar.follower, anchored, {
      logKey: ctx.calendarKey,
      ed25519: ctx.ed25519,
    });
    const round = followed.record;
    if (round === undefined) {
      const detail = followed.violations.map((v) => v.message).join('; ');
      await ctx.raise(tx, [malformedMessage('rounds', message, detail, ctx.nowMs())]);
      return 'applied';
    }
    const seals = followed.seals.map((seal) => seal.record);
    const needSeals = round.sealsEnd > round.sealsStart ? round.sealsEnd - 1 : 0;
    const needEvents = seals.reduce((max, s) => Math.max(max, s.streamEnd - 1), 0);
    const findings: IntegrityFinding[] = [];
    const sealsReady = o.sealsCursor() >= needSeals || needSeals < o.sealsFloor();
    const eventsReady = o.eventsCursor() >= needEvents || needEvents < o.eventsFloor();
    if (!sealsReady || !eventsReady) {
      if (waitingSince?.seq !== message.seq) waitingSince = { seq: message.seq, atMs: ctx.nowMs() };
      if (ctx.nowMs() - waitingSince.atMs < (o.readinessTimeoutMs ?? READINESS_TIMEOUT_MS)) return 'wait';
      findings.push({
        rule: 'round-events-missing',
        severity: 'high',
        message: `round ${round.round}: the seals or events it covers were not on the streams after ${READINESS_TIMEOUT_MS / 1000} s; judged without them`,
        subject: `round=${round.round}`,
        trigger: `rounds#${message.seq}`,
        atUs: ctx.nowMs() * 1000,
      });
    }
    waitingSince = undefined;
    const k = round.round;
    if (k < calendar.size) {
      await raiseAll(ctx, tx, [await repeatedRound(tx, k, followed.leafHash, message)]);
      return 'applied';
    }
    if (calendar.broken === '' && followed.kind === 'not-followed') {
      findings.push({
        rule: 'calendar-gap',
        severity: 'critical',
        message: `calendar leaves ${calendar.size}…${k - 1} are missing: round ${k} follows round ${calendar.size - 1}`,
        subject: 'calendar',
        trigger: `rounds#${message.seq}`,
        atUs: round.closedAt,
        details: { expected: String(calendar.size), got: String(k) },
      });
      calendar.broken = `leaves ${calendar.size}…${k - 1} missing`;
    }
    if (calendar.broken === '' && followed.kind === 'extended') {
      const previous = calendar.follower;
      findings.push(...followed.violations.map((v) => violationFinding(v, round, previous, message)));
      calendar.follower = followed.state;
      await tx.query(
        `INSERT INTO ${SCHEMA}.rounds (k, leaf_hash, closed_at_us, root) VALUES ($1::int8, $2::bytea, $3::int8, $4::bytea)`,
        [k, Buffer.from(followed.leafHash), round.closedAt, Buffer.from(followed.state.range.root())],
      );
      findings.push(...(await pendingCheckpointForks(tx, followed.state.size, round.closedAt)));
    }
    calendar.size = calendar.broken === '' ? calendar.follower.size : Math.max(calendar.size, k + 1);
    await raiseAll(ctx, tx, findings);
    await anchorEvents(ctx, o.staged, tx, k, seals);
    await saveCalendar(tx, calendar, round);
    return 'applied';
  };
}

/** A broken rule of a followed round as an alert: the calendar rules by name, the others `round-invalid`. */
function violationFinding(
  violation: FollowViolation,
  round: RoundRecord,
  previous: FollowerState,
  message: PumpMessage,
): IntegrityFinding {
  const k = round.round;
  const common = { subject: 'calendar', trigger: `rounds#${message.seq}`, atUs: round.closedAt };
  switch (violation.code) {
    case 'CLOSED_AT_NOT_INCREASING':
      return {
        ...common,
        rule: 'calendar-time-backwards',
        severity: 'high',
        message: `round ${k} closed at ${isoOf(round.closedAt)}, not after the previous round (${isoOf(previous.lastClosedAt ?? 0)})`,
        details: { round: String(k) },
      };
    case 'CHECKPOINT_INVALID':
      return {
        ...common,
        rule: 'checkpoint-invalid',
        severity: 'critical',
        message: `round ${k}: its checkpoint does not verify: ${violation.message}`,
        details: { round: String(k), size: String(k + 1) },
      };
    case 'CHECKPOINT_ORIGIN':
    case 'CHECKPOINT_SIZE':
    case 'CHECKPOINT_ROOT':
      return {
        ...common,
        rule: 'checkpoint-inconsistent',
        severity: 'critical',
        message: `round ${k}: ${violation.message}`,
        details: { round: String(k), size: String(k + 1), check: violation.code },
      };
    default:
      return {
        ...common,
        rule: 'round-invalid',
        severity: 'critical',
        message: `round ${k} breaks ${violation.code}: ${violation.message}`,
        subject: `check=${violation.code}`,
        details: { round: String(k), check: violation.code },
      };
  }
}

/** A calendar time (µs) as ISO 8601, or the number when it is not a date. */
function isoOf(us: number): string {
  const date = new Date(us / 1000);
  return Number.isNaN(date.getTime()) ? `${us} µs` : date.toISOString();
}

async function loadCalendar(ctx: AlerterContext, tx: PoolClient): Promise<CalendarRow> {
  const { rows } = await tx.query(
    `SELECT size, range_hashes, origin, last_closed_at_us, interval_ms, broken, follower
     FROM ${SCHEMA}.calendar FOR UPDATE`,
  );
  const row = rows[0];
  const size = toSafeInteger(row.size, 'size');
  const broken = toText(row.broken, 'broken');
  const intervalMs = toSafeInteger(row.interval_ms, 'interval_ms');
  let follower: FollowerState;
  if (broken !== '') {
    follower = emptyFollowerState(ctx.hasher); // not followed any more
  } else if (row.follower !== null) {
    follower = unpackFollowerState(ctx.hasher, toBytes(row.follower, 'follower'));
  } else {
    // Written before the `follower` column: seals_end was not kept (the next round's is not judged).
    const origin = toText(row.origin, 'origin');
    follower =
      size === 0
        ? { ...emptyFollowerState(ctx.hasher), origin }
        : {
            size,
            range: unpackCompactRange(ctx.hasher, size, toBytes(row.range_hashes, 'range_hashes')),
            lastClosedAt: toSafeInteger(row.last_closed_at_us, 'last_closed_at_us'),
            sealsEnd: null,
            intervalMs,
            origin,
          };
  }
  return { size, follower, intervalMs, broken };
}

async function saveCalendar(tx: PoolClient, calendar: CalendarRow, round: RoundRecord): Promise<void> {
  const { follower } = calendar;
  // interval_ms feeds the service levels: a broken round's value (0, or beyond a Postgres integer) is not taken.
  const intervalMs =
    round.intervalMs >= 1 && round.intervalMs < 2 ** 31 ? round.intervalMs : calendar.intervalMs;
  await tx.query(
    `UPDATE ${SCHEMA}.calendar SET size = $1::int8, range_hashes = $2::bytea, origin = $3::text,
       last_closed_at_us = $4::int8, last_round_at_us = $5::int8, interval_ms = $6::int4, broken = $7::text,
       follower = $8::bytea`,
    [
      calendar.size,
      Buffer.from(packCompactRange(follower.range)),
      follower.origin,
      follower.lastClosedAt ?? 0,
      round.closedAt, // the calendar's clock, for calendar-stalled (never the NATS server's)
      intervalMs,
      calendar.broken,
      calendar.broken === '' ? Buffer.from(packFollowerState(follower)) : null,
    ],
  );
}

/**
 * A round number at or below the calendar's size: the same leaf again (a duplicate), another leaf
 * (history rewritten), or one never applied because a later round came first (out of order).
 */
async function repeatedRound(
  tx: PoolClient,
  k: number,
  leaf: Uint8Array,
  message: PumpMessage,
): Promise<IntegrityFinding> {
  const { rows } = await tx.query(`SELECT leaf_hash FROM ${SCHEMA}.rounds WHERE k = $1::int8`, [k]);
  if (rows.length === 0) {
    // Never applied: it comes after a later round (the calendar is already broken by a gap).
    return {
      rule: 'calendar-out-of-order',
      severity: 'high',
      message: `round ${k} arrived after a later round (stream sequence ${message.seq}): the calendar's leaves are out of order`,
      subject: `round=${k}`,
      trigger: `rounds#${message.seq}`,
      atUs: message.storedAtUs,
      details: { round: String(k) },
    };
  }
  const same = bytesEqual(toBytes(rows[0].leaf_hash, 'leaf_hash'), leaf);
  return same
    ? {
        rule: 'calendar-duplicate-leaf',
        severity: 'high',
        message: `round ${k} was published again (stream sequence ${message.seq})`,
        subject: `round=${k}`,
        trigger: `rounds#${message.seq}`,
        atUs: message.storedAtUs,
        details: { round: String(k) },
      }
    : {
        rule: 'calendar-rewrite',
        severity: 'critical',
        message: `round ${k} was published again with a different leaf: the calendar's history was rewritten`,
        subject: `round=${k}`,
        trigger: `rounds#${message.seq}`,
        atUs: message.storedAtUs,
        details: { round: String(k) },
      };
}

/** Cosigned checkpoints that arrived ahead of the rounds, now checkable against the calendar. */
async function pendingCheckpointForks(
  tx: PoolClient,
  size: number,
  atUs: number,
): Promise<IntegrityFinding[]> {
  const { rows } = await tx.query(
    `DELETE FROM ${SCHEMA}.pending_checkpoints p WHERE size <= $1::int8 RETURNING size, root, note`,
    [size],
  );
  const findings: IntegrityFinding[] = [];
  for (const row of rows) {
    const fork = await forkAt(tx, toSafeInteger(row.size, 'size'), toBytes(row.root, 'root'), atUs);
    if (fork !== undefined) findings.push(fork);
  }
  return findings;
}

/** A signed checkpoint of `size` whose root is not the calendar's at that size is a fork. */
export async function forkAt(
  tx: PoolClient,
  size: number,
  root: Uint8Array,
  atUs: number,
): Promise<IntegrityFinding | undefined> {
  const { rows } = await tx.query(`SELECT root FROM ${SCHEMA}.rounds WHERE k = $1::int8`, [size - 1]);
  if (rows.length === 0) return undefined;
  if (bytesEqual(toBytes(rows[0].root, 'root'), root)) return undefined;
  return {
    rule: 'calendar-fork',
    severity: 'critical',
    message: `a checkpoint signed by the calendar key names size ${size} with a root the published calendar does not have at that size: a fork (split view)`,
    subject: `size=${size}`,
    trigger: `checkpoint:${size}:${Buffer.from(root).toString('hex')}`,
    atUs,
    details: { size: String(size), root: Buffer.from(root).toString('hex') },
  };
}

async function raiseAll(
  ctx: AlerterContext,
  tx: PoolClient,
  findings: readonly IntegrityFinding[],
): Promise<void> {
  await ctx.raise(tx, findings.map(integrityCandidate));
}

/** The round's events in calendar order through the custody and `anchored` policy rules. */
async function anchorEvents(
  ctx: AlerterContext,
  staged: StagedEvents,
  tx: PoolClient,
  k: number,
  seals: readonly SealRecord[],
) {
  const events: DataEvent[] = [];
  const flagged: Uint8Array[] = [];
  const consumed: number[] = [];
  for (const seal of seals) {
    const batch = await stagedEvents(tx, staged, seal.shard, seal.streamStart, seal.streamEnd);
    events.push(...batch.events);
    flagged.push(...batch.flagged);
    consumed.push(...batch.seqs);
    await tx.query(`DELETE FROM ${SCHEMA}.pending_seals WHERE shard = $1::int4 AND seal_number = $2::int8`, [
      seal.shard,
      seal.sealNumber,
    ]);
  }
  await markAnchored(tx, flagged, k);
  const policy = ctx.policy();
  const custodyOn = Object.values(policy.custody).some((s) => s.enabled);
  const anchoredRules = policy.rules.filter((rule) => rule.evaluate === 'anchored');
  const needsState = custodyOn || anchoredRules.length > 0 || events.some((e) => e.kind === 'STATE');
  if (events.length > 0 && needsState) {
    const state = await loadCustody(tx, events);
    const candidates: AlertCandidate[] = [];
    for (const event of events) {
      // custody.exempt: neither checked by the custody rules nor recorded as a deletion
      const exempt = policy.custodyExempt(event, state);
      candidates.push(...anchoredCandidates(policy, anchoredRules, state, event, k, exempt));
      state.apply(event, k, { recordDeletion: !exempt });
    }
    await ctx.raise(tx, candidates);
    await saveCustody(tx, state, k);
  }
  if (consumed.length > 0) {
    await tx.query(`DELETE FROM ${SCHEMA}.staged_batches WHERE stream_seq = ANY($1::bigint[])`, [consumed]);
    staged.forget(consumed);
  }
}

/** What the custody and `anchored` rules raise for one event of round k, in the state before it. */
function anchoredCandidates(
  policy: Policy,
  rules: Policy['rules'],
  state: CustodyState,
  event: DataEvent,
  k: number,
  exempt: boolean,
): AlertCandidate[] {
  const candidates: AlertCandidate[] = [];
  // Made for the first candidate only: most events raise none (formatUuid per event was 1.7% of
  // the alerter's CPU samples in bench:pipeline --consumers --rate 18000 under --cpu-prof).
  let shared: Pick<AlertCandidate, 'tenant' | 'eventIds' | 'anchoredRound' | 'atUs' | 'trigger'> | undefined;
  const common = () => {
    shared ??= {
      tenant: event.tenant,
      eventIds: [event.eventId],
      anchoredRound: k,
      atUs: event.receivedAt,
      trigger: formatUuid(event.eventId),
    };
    return shared;
  };
  // The common fields are listed, not spread: on Node 20 properties after a spread cost ~1.5 µs an
  // object, and a storm raises one candidate per event.
  for (const finding of exempt ? [] : state.check(event, policy.custody)) {
    const { tenant, eventIds, anchoredRound, atUs, trigger } = common();
    candidates.push({
      tenant,
      eventIds,
      anchoredRound,
      atUs,
      trigger,
      rule: finding.rule,
      severity: finding.settings.severity,
      category: 'custody',
      message: finding.message,
      dedupeKey: `${finding.rule}|${event.tenant}|data=${formatImprint(finding.item)}`,
      dedupeWindowUs: DEFAULT_DEDUPE_WINDOW_US,
      details: { kind: event.kind, actor: event.actor, data: formatImprint(finding.item), round: String(k) },
      policyDigest: policy.digest,
    });
  }
  for (const rule of rules) {
    const match = rule.match(event, state);
    if (match === undefined) continue;
    const { tenant, eventIds, anchoredRound, atUs, trigger } = common();
    candidates.push({
      tenant,
      eventIds,
      anchoredRound,
      atUs,
      trigger,
      rule: rule.id,
      severity: rule.severity,
      category: 'policy',
      message: match.message,
      dedupeKey: match.dedupeKey,
      dedupeWindowUs: rule.dedupeWindowUs,
      details: Object.assign({}, match.details, { round: String(k) }),
      policyDigest: policy.digest,
    });
  }
  return candidates;
}
