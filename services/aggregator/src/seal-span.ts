import type { SealRecord } from '@msi/core';
import { type TraceLinks, traced, traceHeaders } from '@msi/service-kit';
import type { MsgHdrs } from '@nats-io/transport-node';

/** Called once the seal record is known: names it on the span and gives the headers to publish it with. */
export type SealTrace = (record: SealRecord) => MsgHdrs | undefined;

/**
 * Runs a seal in its span, `aggregator.seal`: a trace of its own (a seal covers thousands of
 * batches, each in its own trace) that links to the traced batches it covers, at most
 * MAX_SPAN_LINKS of them. The ShardSealed message goes out with the span's trace headers (beside
 * the payload: the seal bytes are not touched), for the calendar's round to link to.
 */
export function tracedSeal(
  shard: number,
  batchSpans: TraceLinks,
  seal: (trace: SealTrace) => Promise<void>,
): Promise<void> {
  return traced(
    'aggregator.seal',
    { parent: 'root', links: batchSpans, attributes: { 'msi.shard': shard } },
    (span) =>
      seal((record) => {
        span.setAttributes({
          'msi.seal.number': record.sealNumber,
          'msi.seal.leaf_count': record.leafCount,
          'msi.seal.stream_start': record.streamStart,
          'msi.seal.stream_end': record.streamEnd,
        });
        return traceHeaders();
      }),
  );
}
