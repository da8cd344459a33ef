import {
  type DataEvent,
  decodeRound,
  decodeSeal,
  formatImprint,
  formatUuid,
  openCheckpoint,
  type RoundRecord,
  roundLeafHash,
  type SealRecord,
} from '@msi/core';
import { CompactRange } from '@msi/merkle';
import type { Policy } from '@msi/policy';
import type { PoolClient } from '@msi/postgres';
import { streamV1 } from '@msi/proto';
import { markAnchored } from './alert-store.js';
import { type AlerterContext, DEFAULT_DEDUPE_WINDOW_US } from './alerter-context.js';
import type { CustodyState } from './custody.js';
import { loadCustody, saveCustody } from './custody-store.js';
import { stagedEvents } from './event-intake.js';
import { type IntegrityFinding, integrityCandidate, malformedMessage } from './integrity-candidates.js';
import { SCHEMA } from './schema.js';
import type { StagedEvents } from './staged-events.js';
import type { PumpHandler, PumpMessage } from './stream-pump.js';

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

interface CalendarRow {
  size: number;
  range: CompactRange;
  origin: string;
  lastClosedAtUs: number;
  broken: string;
}

const equal = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

/**
 * Anchored rounds, in calendar order: the integrity of the calendar itself (gapless k, no rewrite,
 * closed_at increasing, every checkpoint signed by the calendar key and equal to the calendar the
 * alerter rebuilds from the rounds' leaves — which makes it consistent with every earlier one), then
 * the events of the round's seals in calendar order through the chain-of-custody rules and the
 * policy's `anchored` rules, with the facts of STATE events applied as they come.
 */
export function roundsHandler(ctx: AlerterContext, o: RoundIntakeOptions): PumpHandler {
  let waitingSince: { seq: number; atMs: number } | undefined;
  return async (message, tx) => {
    let round: RoundRecord;
    let seals: SealRecord[];
    let anchored: streamV1.RoundAnchored;
    try {
      anchored = streamV1.RoundAnchored.decode(message.data);
      round = decodeRound(anchored.round);
      seals = anchored.seals.map((bytes) => decodeSeal(bytes));
    } catch (error: unknown) {
      await ctx.raise(tx, malformedMessage('rounds', message, (error as Error).message, ctx.now()));
      return 'applied';
    }
    const needSeals = round.sealsEnd > round.sealsStart ? round.sealsEnd - 1 : 0;
    const needEvents = seals.reduce((max, s) => Math.max(max, s.streamEnd - 1), 0);
    const findings: IntegrityFinding[] = [];
    const sealsReady = o.sealsCursor() >= needSeals || needSeals < o.sealsFloor();
    const eventsReady = o.eventsCursor() >= needEvents || needEvents < o.eventsFloor();
    if (!sealsReady || !eventsReady) {
      if (waitingSince?.seq !== message.seq) waitingSince = { seq: message.seq, atMs: ctx.now() };
      if (ctx.now() - waitingSince.atMs < (o.readinessTimeoutMs ?? READINESS_TIMEOUT_MS)) return 'wait';
      findings.push({
        rule: 'round-events-missing',
        severity: 'high',
        message: `round ${round.round}: the seals or events it covers were not on the streams after ${READINESS_TIMEOUT_MS / 1000} s; judged without them`,
        subject: `round=${round.round}`,
        trigger: `rounds#${message.seq}`,
        atUs: ctx.now() * 1000,
      });
    }
    waitingSince = undefined;
    const calendar = await loadCalendar(ctx, tx);
    const leaf = roundLeafHash(ctx.hasher, anchored.round);
    const k = round.round;
    if (k < calendar.size) {
      await raiseAll(ctx, tx, [await repeatedRound(tx, k, leaf, message)]);
      return 'applied';
    }
    if (k > calendar.size && calendar.broken === '') {
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
    if (calendar.lastClosedAtUs !== 0 && round.closedAt <= calendar.lastClosedAtUs) {
      findings.push({
        rule: 'calendar-time-backwards',
        severity: 'high',
        message: `round ${k} closed at ${new Date(round.closedAt / 1000).toISOString()}, not after the previous round (${new Date(calendar.lastClosedAtUs / 1000).toISOString()})`,
        subject: 'calendar',
        trigger: `rounds#${message.seq}`,
        atUs: round.closedAt,
        details: { round: String(k) },
      });
    }
    if (calendar.broken === '') {
      calendar.range.append(leaf);
      const problem = checkpointProblem(ctx, anchored.checkpoint, calendar);
      if (problem !== undefined) {
        findings.push({
          rule: problem.rule,
          severity: 'critical',
          message: `round ${k}: ${problem.detail}`,
          subject: 'calendar',
          trigger: `rounds#${message.seq}`,
          atUs: round.closedAt,
          details: { round: String(k), size: String(calendar.range.size) },
        });
      }
      await tx.query(
        `INSERT INTO ${SCHEMA}.rounds (k, leaf_hash, closed_at_us, root) VALUES ($1::int8, $2::bytea, $3::int8, $4::bytea)`,
        [k, Buffer.from(leaf), round.closedAt, Buffer.from(calendar.range.root())],
      );
      findings.push(...(await pendingCheckpointForks(tx, calendar.range.size, round.closedAt)));
    }
    await raiseAll(ctx, tx, findings);
    await anchorEvents(ctx, o.staged, tx, k, seals);
    await tx.query(
      `UPDATE ${SCHEMA}.calendar SET size = $1::int8, range_hashes = $2::bytea, origin = $3::text, last_closed_at_us = $4::int8,
         last_round_at_us = $5::int8, interval_ms = $6::int4, broken = $7::text`,
      [
        calendar.broken === '' ? calendar.range.size : Math.max(calendar.size, k + 1),
        Buffer.concat(calendar.range.hashes().map((h) => Buffer.from(h))),
        calendar.origin,
        Math.max(calendar.lastClosedAtUs, round.closedAt),
        round.closedAt, // the calendar's clock, for calendar-stalled (never the NATS server's)
        round.intervalMs,
        calendar.broken,
      ],
    );
    return 'applied';
  };
}

async function loadCalendar(ctx: AlerterContext, tx: PoolClient): Promise<CalendarRow> {
  const { rows } = await tx.query(
    `SELECT size, range_hashes, origin, last_closed_at_us, broken FROM ${SCHEMA}.calendar FOR UPDATE`,
  );
  const row = rows[0];
  const packed = new Uint8Array(row.range_hashes as Buffer);
  const hashes = Array.from({ length: packed.length / 32 }, (_, i) => packed.slice(i * 32, i * 32 + 32));
  const size = Number(row.size);
  const broken = String(row.broken);
  return {
    size,
    range: broken === '' ? CompactRange.fromState(ctx.hasher, size, hashes) : new CompactRange(ctx.hasher),
    origin: String(row.origin),
    lastClosedAtUs: Number(row.last_closed_at_us),
    broken,
  };
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
  const same = equal(new Uint8Array(rows[0].leaf_hash as Buffer), leaf);
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

/** Why the round's checkpoint is not the calendar rebuilt from the leaves, or undefined when it is. */
function checkpointProblem(
  ctx: AlerterContext,
  note: string,
  calendar: CalendarRow,
): { rule: 'checkpoint-invalid' | 'checkpoint-inconsistent'; detail: string } | undefined {
  let checkpoint: { origin: string; size: number; root: Uint8Array };
  try {
    checkpoint = openCheckpoint(note, [ctx.calendarKey], ctx.ed25519).checkpoint;
  } catch (error: unknown) {
    return {
      rule: 'checkpoint-invalid',
      detail: `its checkpoint does not verify: ${(error as Error).message}`,
    };
  }
  if (calendar.origin !== '' && checkpoint.origin !== calendar.origin) {
    return {
      rule: 'checkpoint-inconsistent',
      detail: `checkpoint origin ${checkpoint.origin} is not ${calendar.origin}`,
    };
  }
  calendar.origin = checkpoint.origin;
  if (checkpoint.size !== calendar.range.size) {
    return {
      rule: 'checkpoint-inconsistent',
      detail: `its checkpoint names size ${checkpoint.size}, the calendar has ${calendar.range.size} leaves`,
    };
  }
  if (!equal(checkpoint.root, calendar.range.root())) {
    return {
      rule: 'checkpoint-inconsistent',
      detail:
        'its checkpoint root is not the root of the calendar rebuilt from the published rounds (inconsistent with earlier checkpoints)',
    };
  }
  return undefined;
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
    const fork = await forkAt(tx, Number(row.size), new Uint8Array(row.root as Buffer), atUs);
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
  if (equal(new Uint8Array(rows[0].root as Buffer), root)) return undefined;
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
  for (const finding of findings) await ctx.raise(tx, integrityCandidate(finding));
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
    for (const event of events) {
      await evaluateAnchored(ctx, tx, policy, anchoredRules, state, event, k);
      state.apply(event, k);
    }
    await saveCustody(tx, state, k);
  }
  if (consumed.length > 0) {
    await tx.query(`DELETE FROM ${SCHEMA}.staged_batches WHERE stream_seq = ANY($1::bigint[])`, [consumed]);
    staged.forget(consumed);
  }
}

async function evaluateAnchored(
  ctx: AlerterContext,
  tx: PoolClient,
  policy: Policy,
  rules: Policy['rules'],
  state: CustodyState,
  event: DataEvent,
  k: number,
): Promise<void> {
  const common = {
    tenant: event.tenant,
    eventIds: [event.eventId],
    anchoredRound: k,
    atUs: event.receivedAt,
    trigger: formatUuid(event.eventId),
  };
  for (const finding of state.check(event, policy.custody)) {
    await ctx.raise(tx, {
      ...common,
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
    await ctx.raise(tx, {
      ...common,
      rule: rule.id,
      severity: rule.severity,
      category: 'policy',
      message: match.message,
      dedupeKey: match.dedupeKey,
      dedupeWindowUs: rule.dedupeWindowUs,
      details: { ...match.details, round: String(k) },
      policyDigest: policy.digest,
    });
  }
}
