import { type DataEvent, decodeEvent, formatUuid } from '@msi/core';
import { shardOfSubject } from '@msi/nats';
import { NO_FACTS, type Policy } from '@msi/policy';
import { type PoolClient, toBytesList, toSafeInteger } from '@msi/postgres';
import { streamV1 } from '@msi/proto';
import type { PumpHandler } from '@msi/service-kit';
import type { AlertCandidate } from './alert.js';
import type { AlerterContext } from './alerter-context.js';
import { malformedMessage } from './integrity-candidates.js';
import { SCHEMA } from './schema.js';
import type { StagedEvents } from './staged-events.js';

/** The events of one batch message, decoded; a malformed message is reported, not thrown. */
export function decodeBatch(data: Uint8Array): DataEvent[] {
  const batch = streamV1.EventBatch.decode(data);
  return batch.events.map((bytes) => decodeEvent(bytes));
}

/**
 * Events as they arrive: every `arrival` rule of the policy is evaluated on each event at once (the
 * stateless path), and the batch is staged until its round is anchored, when the stateful rules see
 * it in calendar order (round-intake.ts).
 */
export function eventsHandler(ctx: AlerterContext, staged: StagedEvents): PumpHandler {
  return async (message, tx) => {
    let shard: number;
    let events: DataEvent[];
    try {
      shard = shardOfSubject(message.subject);
      events = decodeBatch(message.data);
    } catch (error: unknown) {
      await ctx.raise(tx, [malformedMessage('events', message, (error as Error).message, ctx.nowMs())]);
      return 'applied';
    }
    const flagged = await evaluateArrivalRules(ctx, ctx.policy(), events, tx);
    const maxReceived = events.reduce((max, e) => Math.max(max, e.receivedAt), 0);
    await tx.query(
      `INSERT INTO ${SCHEMA}.staged_batches (stream_seq, shard, max_received_at_us, flagged)
       VALUES ($1::int8, $2::int4, $3::int8, $4::bytea[])`,
      [message.seq, shard, maxReceived, flagged.map((id) => Buffer.from(id))],
    );
    staged.remember(message.seq, message.data, events);
    return 'applied';
  };
}

/** Raises the alerts of the arrival rules; returns the ids of the events that raised one. */
async function evaluateArrivalRules(
  ctx: AlerterContext,
  policy: Policy,
  events: readonly DataEvent[],
  tx: PoolClient,
): Promise<Uint8Array[]> {
  const rules = policy.rules.filter((rule) => rule.evaluate === 'arrival');
  const flagged: Uint8Array[] = [];
  if (rules.length === 0) return flagged;
  const candidates: AlertCandidate[] = [];
  for (const event of events) {
    let raised = false;
    for (const rule of rules) {
      const match = rule.match(event, NO_FACTS);
      if (match === undefined) continue;
      raised = true;
      candidates.push({
        rule: rule.id,
        severity: rule.severity,
        category: 'policy',
        tenant: event.tenant,
        message: match.message,
        dedupeKey: match.dedupeKey,
        dedupeWindowUs: rule.dedupeWindowUs,
        eventIds: [event.eventId],
        anchoredRound: undefined,
        atUs: event.receivedAt,
        trigger: formatUuid(event.eventId),
        details: match.details,
        policyDigest: policy.digest,
      });
    }
    if (raised) flagged.push(event.eventId);
  }
  await ctx.raise(tx, candidates);
  return flagged;
}

/** The staged events of one shard in [start, end) of the events stream, in stream then batch order. */
export async function stagedEvents(
  tx: PoolClient,
  staged: StagedEvents,
  shard: number,
  start: number,
  end: number,
): Promise<{ events: DataEvent[]; flagged: Uint8Array[]; seqs: number[] }> {
  const { rows } = await tx.query(
    `SELECT stream_seq, flagged FROM ${SCHEMA}.staged_batches
     WHERE shard = $1::int4 AND stream_seq >= $2::int8 AND stream_seq < $3::int8 ORDER BY stream_seq`,
    [shard, start, end],
  );
  const events: DataEvent[] = [];
  const flagged: Uint8Array[] = [];
  const seqs: number[] = [];
  for (const row of rows) {
    const seq = toSafeInteger(row.stream_seq, 'stream_seq');
    seqs.push(seq);
    events.push(...(await staged.events(seq)));
    for (const id of toBytesList(row.flagged, 'flagged')) flagged.push(id);
  }
  return { events, flagged, seqs };
}
