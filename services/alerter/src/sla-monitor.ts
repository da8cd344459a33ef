import { inTransaction, type Pool, type PoolClient, toSafeInteger } from '@msi/postgres';
import { every, type RunningLoop } from '@msi/service-kit';
import type { AlerterContext } from './alerter-context.js';
import { type IntegrityFinding, integrityCandidate } from './integrity-candidates.js';
import { SCHEMA } from './schema.js';

/**
 * The pipeline's service levels, judged against the wall clock (a stalled service publishes
 * nothing, so only a clock can notice it): a shard whose oldest unsealed event is older than
 * `seal_sla_rounds` round intervals, a seal not anchored within `anchor_sla_rounds` intervals after
 * its sealing window, and a calendar that published no round for `calendar_stall_rounds` intervals.
 * Each interval is the calendar's own (from its latest round). One grace interval is added to every
 * limit. Ages are the alerter's clock minus times the services stamped (ingest's received_at, the
 * calendar's closed_at), never the NATS server's store times: the services' clocks agree (NTP), the
 * server's need not.
 */
export async function checkServiceLevels(ctx: AlerterContext, tx: PoolClient): Promise<IntegrityFinding[]> {
  const nowUs = ctx.nowMs() * 1000;
  const { sealSlaRounds, anchorSlaRounds, calendarStallRounds } = ctx.policy().integrity;
  const calendar = (await tx.query(`SELECT size, interval_ms, last_round_at_us FROM ${SCHEMA}.calendar`))
    .rows[0];
  const intervalUs = toSafeInteger(calendar.interval_ms, 'interval_ms') * 1000;
  const findings: IntegrityFinding[] = [];
  const unsealed = await tx.query(
    `SELECT b.shard, min(b.max_received_at_us) AS oldest, count(*) AS batches
     FROM ${SCHEMA}.staged_batches b LEFT JOIN ${SCHEMA}.shards s ON s.shard = b.shard
     WHERE b.stream_seq >= coalesce(s.sealed_end, 0)
     GROUP BY b.shard`,
  );
  for (const row of unsealed.rows) {
    const ageUs = nowUs - toSafeInteger(row.oldest, 'oldest');
    if (ageUs <= (sealSlaRounds + 1) * intervalUs) continue;
    findings.push({
      rule: 'shard-not-sealed',
      severity: 'high',
      message: `shard ${row.shard}: ${row.batches} batch(es) of events not sealed for ${(ageUs / 1e6).toFixed(1)} s (SLA ${sealSlaRounds} rounds of ${intervalUs / 1000} ms)`,
      subject: `shard=${row.shard}`,
      trigger: `shard=${row.shard}@${row.oldest}`,
      atUs: nowUs,
      details: { shard: String(row.shard), age_ms: String(Math.round(ageUs / 1000)) },
    });
  }
  const unanchored = await tx.query(
    `SELECT shard, min(seal_number) AS first, count(*) AS seals, min(seen_at_us) AS oldest
     FROM ${SCHEMA}.pending_seals GROUP BY shard`,
  );
  for (const row of unanchored.rows) {
    // oldest = the seal's max_received_at: the seal closes up to one interval after it.
    const ageUs = nowUs - toSafeInteger(row.oldest, 'oldest') - intervalUs;
    if (ageUs <= (anchorSlaRounds + 1) * intervalUs) continue;
    findings.push({
      rule: 'seal-not-anchored',
      severity: 'high',
      message: `shard ${row.shard}: ${row.seals} seal(s) from seal ${row.first} not anchored for ${(ageUs / 1e6).toFixed(1)} s (SLA ${anchorSlaRounds} rounds)`,
      subject: `shard=${row.shard}`,
      trigger: `shard=${row.shard}#${row.first}`,
      atUs: nowUs,
      details: {
        shard: String(row.shard),
        seal: String(row.first),
        age_ms: String(Math.round(ageUs / 1000)),
      },
    });
  }
  const lastRoundUs = toSafeInteger(calendar.last_round_at_us, 'last_round_at_us');
  if (
    toSafeInteger(calendar.size, 'size') > 0 &&
    nowUs - lastRoundUs > (calendarStallRounds + 1) * intervalUs
  ) {
    findings.push({
      rule: 'calendar-stalled',
      severity: 'critical',
      message: `no calendar round for ${((nowUs - lastRoundUs) / 1e6).toFixed(1)} s (after round ${toSafeInteger(calendar.size, 'size') - 1}; SLA ${calendarStallRounds} rounds)`,
      subject: 'calendar',
      trigger: `stalled-after=${calendar.size}`,
      atUs: nowUs,
      details: { size: String(calendar.size) },
    });
  }
  await ctx.raise(tx, findings.map(integrityCandidate));
  return findings;
}

/** Runs checkServiceLevels every `everyMs` while `ready()` (the streams are caught up). */
export function startServiceLevelMonitor(
  ctx: AlerterContext,
  pool: Pool,
  ready: () => boolean,
  everyMs: number,
  afterCommit: () => void,
  fence: (tx: PoolClient) => Promise<void> = async () => {},
): RunningLoop {
  return every({
    intervalMs: everyMs,
    waitFirst: true,
    run: async () => {
      if (!ready()) return;
      const findings = await inTransaction(pool, async (tx) => {
        await fence(tx);
        return checkServiceLevels(ctx, tx);
      });
      if (findings.length > 0) afterCommit();
    },
    onError: (error) => ctx.log.warn('service level check failed', { error: (error as Error).message }),
  });
}
