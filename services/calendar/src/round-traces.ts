import { spanContextOfHeaders, TraceLinks, traced, traceHeaders } from '@msi/service-kit';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { SealMessage } from './seal-selection.js';

/** Rounds closed but not yet published whose trace headers are kept; older ones are forgotten. */
const KEPT_ROUNDS = 64;

/**
 * The calendar's spans: each round closed is a span, `calendar.round`, a trace of its own that
 * links to the traced seals it read (at most MAX_SPAN_LINKS). Its trace headers are kept in memory
 * until the outbox publishes the round's RoundAnchored, which carries them beside its payload (the
 * round record and the signed checkpoint are not touched), for the verifier's projection to
 * continue. A round published by another process, or after a restart, goes without them.
 */
export class RoundTraces {
  readonly #headers = new Map<number, MsgHdrs>();

  /** The traced seals among `messages`. */
  sealSpans(messages: readonly SealMessage[]): TraceLinks {
    const links = new TraceLinks();
    for (const message of messages) {
      const span = spanContextOfHeaders(message.headers);
      if (span !== undefined) links.add(span);
    }
    return links;
  }

  /** Runs the closing of round `round` in its span; keeps its headers when `work` says it appended. */
  close<T extends { readonly kind: string }>(
    round: number,
    sealSpans: TraceLinks,
    startTimeMs: number,
    work: () => Promise<T>,
  ): Promise<T> {
    return traced(
      'calendar.round',
      { parent: 'root', links: sealSpans, startTimeMs, attributes: { 'msi.round': round } },
      async (span) => {
        const outcome = await work();
        span.setAttribute('msi.round.outcome', outcome.kind);
        const headers = outcome.kind === 'appended' ? traceHeaders() : undefined;
        if (headers !== undefined) this.#keep(round, headers);
        return outcome;
      },
    );
  }

  /** The trace headers to publish round `round` with (once: they are forgotten then). */
  headersOf(round: number): MsgHdrs | undefined {
    const headers = this.#headers.get(round);
    this.#headers.delete(round);
    return headers;
  }

  #keep(round: number, headers: MsgHdrs): void {
    this.#headers.set(round, headers);
    for (const oldest of this.#headers.keys()) {
      if (this.#headers.size <= KEPT_ROUNDS) break;
      this.#headers.delete(oldest);
    }
  }
}
