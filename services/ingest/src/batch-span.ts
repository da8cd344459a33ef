import type { TracedOptions } from '@msi/service-kit';
import type { EventBatchToPublish } from './ingest-pipeline.js';

/**
 * The span of one batch's publish (`ingest.publish_batch`): it continues the trace of the first
 * sampled call whose events the batch holds and links to the others; its trace headers go out with
 * the message, for the aggregator's seal to link to. Counts and ids only, never event content.
 */
export function publishSpan(subject: string, batch: EventBatchToPublish): TracedOptions {
  return {
    kind: 'producer',
    ...(batch.contributors === undefined ? {} : { links: batch.contributors, continueFirstLink: true }),
    attributes: {
      'messaging.system': 'nats',
      'messaging.operation.type': 'send',
      'messaging.destination.name': subject,
      'messaging.message.id': batch.batchId,
      'messaging.batch.message_count': batch.events.length,
      'msi.shard': batch.shard,
    },
  };
}
