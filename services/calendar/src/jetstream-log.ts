import { decodeRound } from '@msi/core';
import { streamV1 } from '@msi/proto';
import type { JetStreamManager } from '@nats-io/jetstream';
import { CalendarError } from './calendar-error.js';
import type { LastPublished } from './publish-plan.js';
import type { SealMessage } from './seal-selection.js';

/**
 * Reads of the seal and round streams. Every read goes to the stream leader (STREAM.MSG.GET and
 * stream info), not to a possibly lagging replica (DIRECT.GET): a seal missed because a replica had not
 * stored it yet would never be anchored.
 */

/** One past the stream's last sequence: the seals_end of a round closing now. */
export async function streamEnd(jsm: JetStreamManager, stream: string): Promise<number> {
  const info = await jsm.streams.info(stream);
  return info.state.last_seq + 1;
}

/**
 * The messages with sequences in [start, end), in order, read `concurrency` at a time. Deleted
 * sequences are absent from the result.
 */
export async function readRange(
  jsm: JetStreamManager,
  stream: string,
  start: number,
  end: number,
  concurrency = 64,
): Promise<SealMessage[]> {
  const messages: SealMessage[] = [];
  for (let from = start; from < end; from += concurrency) {
    const seqs = Array.from({ length: Math.min(concurrency, end - from) }, (_, i) => from + i);
    const batch = await Promise.all(seqs.map((seq) => jsm.streams.getMessage(stream, { seq })));
    for (const message of batch) {
      if (message !== null)
        messages.push({
          seq: message.seq,
          subject: message.subject,
          data: message.data,
          headers: message.header,
        });
    }
  }
  return messages;
}

/**
 * The last message on `<prefix>.rounds` with its round number, or undefined when nothing is published.
 * Its content is only decoded here, not verified. Throws HISTORY_UNVERIFIABLE when it is not a
 * RoundAnchored with a round record.
 */
export async function lastPublished(
  jsm: JetStreamManager,
  stream: string,
  subject: string,
): Promise<LastPublished | undefined> {
  const message = await jsm.streams.getMessage(stream, { last_by_subj: subject });
  if (message === null) return undefined;
  return { seq: message.seq, round: roundNumberOf(message.data, message.seq), data: message.data };
}

/** The round number inside a RoundAnchored message (hostile input); HISTORY_UNVERIFIABLE otherwise. */
export function roundNumberOf(data: Uint8Array, seq: number): number {
  try {
    return decodeRound(new Uint8Array(streamV1.RoundAnchored.decode(data).round)).round;
  } catch (error: unknown) {
    throw new CalendarError(
      'HISTORY_UNVERIFIABLE',
      `message ${seq} on the rounds stream is not a RoundAnchored`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Iterates the RoundAnchored messages of rounds >= `fromRound` in stream order: a binary search over
 * the stream's sequences finds the first (rounds are published in order), then each message follows.
 */
export async function* roundsFrom(
  jsm: JetStreamManager,
  stream: string,
  fromRound: number,
): AsyncGenerator<LastPublished> {
  const { state } = await jsm.streams.info(stream);
  const atOrAfter = async (seq: number): Promise<LastPublished | undefined> => {
    for (let s = seq; s <= state.last_seq; s++) {
      const message = await jsm.streams.getMessage(stream, { seq: s });
      if (message !== null)
        return { seq: message.seq, round: roundNumberOf(message.data, message.seq), data: message.data };
    }
    return undefined;
  };
  let low = Math.max(1, state.first_seq);
  let high = state.last_seq + 1;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const found = await atOrAfter(middle);
    if (found === undefined || found.round >= fromRound) high = middle;
    else low = found.seq + 1;
  }
  for (let seq = low; seq <= state.last_seq; ) {
    const found = await atOrAfter(seq);
    if (found === undefined) return;
    yield found;
    seq = found.seq + 1;
  }
}
