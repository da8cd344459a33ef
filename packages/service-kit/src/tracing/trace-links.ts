import {
  context,
  isSpanContextValid,
  type Link,
  type SpanContext,
  TraceFlags,
  trace,
} from '@opentelemetry/api';

/**
 * At most this many links on one span. A seal covers thousands of batches and a round many seals,
 * so a span links to the first MAX_SPAN_LINKS sampled spans it covers and counts the rest in
 * `msi.links.dropped`. Half the SDK's default link limit (128, OTEL_SPAN_LINK_COUNT_LIMIT); the
 * tracer provider is given this limit explicitly, so the SDK never drops a link silently.
 */
export const MAX_SPAN_LINKS = 64;

/**
 * The spans that led to one piece of work (the requests whose events fill a batch, the batches a
 * seal covers, the seals of a round): sampled span contexts, at most MAX_SPAN_LINKS, each once.
 * Unsampled contexts are not kept (their spans are never exported, a link to them leads nowhere),
 * only remembered, so that work caused only by unsampled spans can follow their decision.
 */
export class TraceLinks {
  readonly #sampled: SpanContext[] = [];
  readonly #seen = new Set<string>();
  #unsampled: SpanContext | undefined;
  #dropped = 0;

  /** Adds the span of the active context (e.g. the call being served), if any. */
  addActive(): void {
    const span = trace.getSpanContext(context.active());
    if (span !== undefined) this.add(span);
  }

  add(span: SpanContext): void {
    if (!isSpanContextValid(span)) return;
    if ((span.traceFlags & TraceFlags.SAMPLED) === 0) {
      this.#unsampled ??= span;
      return;
    }
    if (this.#seen.has(span.spanId)) return;
    if (this.#sampled.length >= MAX_SPAN_LINKS) {
      this.#dropped += 1;
      return;
    }
    this.#seen.add(span.spanId);
    this.#sampled.push(span);
  }

  /** How many sampled spans were not kept (over MAX_SPAN_LINKS). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Every kept span as a link (for work that starts a trace of its own: a seal, a round). */
  links(): Link[] {
    return this.#sampled.map((span) => ({ context: span }));
  }

  /**
   * The first span as the parent and the others as links (for work that continues one of them: the
   * publish of a batch continues the first sampled request's trace). Without a sampled span, the
   * parent is an unsampled one (so the work is not sampled either, as its parent-based sampler says).
   */
  parentAndLinks(): { parent: SpanContext | undefined; links: Link[] } {
    const [first, ...rest] = this.#sampled;
    return { parent: first ?? this.#unsampled, links: rest.map((span) => ({ context: span })) };
  }

  get size(): number {
    return this.#sampled.length;
  }
}
