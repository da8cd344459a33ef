import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';

/** A message as JetStream stored it. */
export interface StoredMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  /** The server's store time, ms since the epoch. */
  readonly timestampMs: number;
  readonly msgId: string | undefined;
}

/**
 * Reads the messages of one subject (or wildcard) of `stream` from `startSeq` (inclusive) up to the
 * stream's end as of now, in stream order, with an ephemeral ordered consumer. For audits, tests
 * and catch-up; not for the hot path.
 */
export async function readSubject(
  js: JetStreamClient,
  stream: string,
  subject: string,
  options: { startSeq?: number; limit?: number } = {},
): Promise<StoredMessage[]> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const consumer = await js.consumers.get(stream, {
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(1, options.startSeq ?? 1),
  });
  const out: StoredMessage[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: Math.min(1000, limit - out.length), expires: 1000 });
    let received = 0;
    let pending = 0;
    for await (const message of batch) {
      received += 1;
      pending = message.info.pending;
      out.push({
        seq: message.seq,
        subject: message.subject,
        data: message.data,
        timestampMs: Math.floor(message.info.timestampNanos / 1e6),
        msgId: message.headers?.get('Nats-Msg-Id') || undefined,
      });
    }
    if (received === 0 || pending === 0 || out.length >= limit) break;
  }
  await consumer.delete().catch(() => {});
  return out;
}
