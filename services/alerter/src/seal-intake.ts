import { decodeSeal, type SealRecord } from '@msi/core';
import { streamV1 } from '@msi/proto';
import type { PumpHandler } from '@msi/service-kit';
import type { AlerterContext } from './alerter-context.js';
import { malformedMessage } from './integrity-candidates.js';
import { SCHEMA } from './schema.js';

/**
 * Seals as they are published: how far each shard is sealed (for `shard-not-sealed`) and which seals
 * wait for a round (for `seal-not-anchored`); the round that anchors a seal removes it.
 */
export function sealsHandler(ctx: AlerterContext): PumpHandler {
  return async (message, tx) => {
    let seal: SealRecord;
    try {
      seal = decodeSeal(streamV1.ShardSealed.decode(message.data).seal);
    } catch (error: unknown) {
      await ctx.raise(tx, [malformedMessage('seals', message, (error as Error).message, ctx.nowMs())]);
      return 'applied';
    }
    await tx.query(
      `INSERT INTO ${SCHEMA}.shards (shard, sealed_end) VALUES ($1::int4, $2::int8)
       ON CONFLICT (shard) DO UPDATE SET sealed_end = greatest(${SCHEMA}.shards.sealed_end, excluded.sealed_end)`,
      [seal.shard, seal.streamEnd],
    );
    // seen_at_us is the seal's max_received_at (ingest's clock), not the NATS server's store time:
    // service levels compare the services' clocks with the alerter's, never with the server's.
    await tx.query(
      `INSERT INTO ${SCHEMA}.pending_seals (shard, seal_number, stream_seq, seen_at_us)
       VALUES ($1::int4, $2::int8, $3::int8, $4::int8)
       ON CONFLICT DO NOTHING`,
      [seal.shard, seal.sealNumber, message.seq, seal.maxReceivedAt],
    );
    return 'applied';
  };
}
