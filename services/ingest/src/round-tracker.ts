import { decodeRound } from '@msi/core';
import { streamV1 } from '@msi/proto';
import { every, type Logger, type RunningLoop } from '@msi/service-kit';
import { type ConsumerMessages, DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { LastRound } from './expected-round.js';

/**
 * Follows `<prefix>.rounds` (RoundAnchored from the calendar) and remembers the last round, for the
 * expected-round hint of acks. Starts from the last message of the stream; on any error (NATS away,
 * stream not there yet) it starts over a second later. Never blocks a call: until a round is seen,
 * the hint is 0.
 */
export class RoundTracker {
  #last: LastRound | undefined;
  #messages: ConsumerMessages | undefined;
  #loop: RunningLoop | undefined;
  readonly #js: JetStreamClient;
  readonly #stream: string;
  readonly #subject: string;
  readonly #log: Logger;

  constructor(js: JetStreamClient, stream: string, subject: string, log: Logger) {
    this.#js = js;
    this.#stream = stream;
    this.#subject = subject;
    this.#log = log;
  }

  get lastRound(): LastRound | undefined {
    return this.#last;
  }

  start(): void {
    this.#loop ??= every({
      intervalMs: 1000,
      run: (stopped) => this.#follow(stopped),
      onError: (error) => this.#log.debug('round tracker restarts', { error }),
    });
  }

  stop(): void {
    void this.#loop?.stop();
    void this.#messages?.close().catch(() => undefined);
  }

  /** Follows the rounds until the consumer ends (then the loop starts over a second later). */
  async #follow(stopped: AbortSignal): Promise<void> {
    const consumer = await this.#js.consumers.get(this.#stream, {
      filter_subjects: this.#subject,
      deliver_policy: DeliverPolicy.Last,
      inactive_threshold: 30_000,
    });
    this.#messages = await consumer.consume({ max_messages: 16 });
    if (stopped.aborted) await this.#messages.close();
    for await (const message of this.#messages) this.#observe(message.data);
  }

  #observe(data: Uint8Array): void {
    try {
      const anchored = streamV1.RoundAnchored.decode(data);
      if (anchored.version !== 1) throw new Error(`RoundAnchored version ${anchored.version}`);
      const round = decodeRound(anchored.round);
      if (this.#last === undefined || round.round > this.#last.round) {
        this.#last = { round: round.round, closedAtUs: round.closedAt };
      }
    } catch (error: unknown) {
      this.#log.warn('ignoring a message on the rounds stream that does not decode', { error });
    }
  }
}
