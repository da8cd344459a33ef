import { streamV1ShardMap } from '@msi/proto';
import type { Logger } from '@msi/service-kit';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RetiredShardSealed } from './shard-worker.js';

/**
 * The integrity alert for events found on a retired shard (they are sealed like any others): an
 * EventOnRetiredShard on `<prefix>.integrity.aggregator` (stored by `<P>_INTEGRITY`; the alerter
 * raises `event-on-retired-shard`), and an error line in the log.
 */
export function reportRetiredShardSealed(
  nc: NatsConnection,
  subject: string,
  aggregatorId: string,
  found: RetiredShardSealed,
  log: Logger,
): void {
  log.error('sealed events stored on a retired shard', { ...found });
  const payload = streamV1ShardMap.EventOnRetiredShard.encode({
    format: 1,
    shard: found.shard,
    sealNumber: BigInt(found.sealNumber),
    streamStart: BigInt(found.streamStart),
    streamEnd: BigInt(found.streamEnd),
    mapVersion: BigInt(found.mapVersion),
    retiredAtMs: BigInt(found.retiredAtMs),
    lastStoredAtMs: BigInt(found.lastStoredAtMs),
    aggregatorId,
  }).finish();
  nc.publish(subject, payload);
}
