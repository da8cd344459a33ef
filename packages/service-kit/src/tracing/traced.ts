import {
  type Attributes,
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { TraceLinks } from './trace-links.js';

/** The tracer of every MSI service (a no-op until startTracing registers a provider). */
export const tracer = () => trace.getTracer('msi');

export interface TracedOptions {
  readonly kind?: 'internal' | 'server' | 'producer' | 'consumer';
  /** Span attributes: counts, numbers, subjects. Never an event's actor or attribute values. */
  readonly attributes?: Attributes;
  /**
   * The parent: a span context (from a message's headers), `root` (a trace of its own, e.g. work
   * that covers many traces and links to them), or absent (the active span).
   */
  readonly parent?: SpanContext | 'root' | undefined;
  /** Spans this one links to (attribute `msi.links.dropped` says how many were left out). */
  readonly links?: TraceLinks;
  /**
   * Use the links' first span as the parent and the rest as links (see TraceLinks.parentAndLinks);
   * with no span in the links, the active span is the parent.
   */
  readonly continueFirstLink?: boolean;
  /** When the work began (epoch ms), if before the span is started. */
  readonly startTimeMs?: number;
}

const KINDS = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
} as const;

/**
 * Runs `work` in a span named `name`, active for everything `work` does (so trace headers published
 * inside carry it), and ends the span when `work` settles: an error is recorded
 * (its code or class name, never its message) and rethrown. With tracing off the span is a no-op and `work` runs as it would without it.
 */
export async function traced<T>(
  name: string,
  options: TracedOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  let parentContext = context.active();
  let links: Link[] | undefined;
  if (options.links !== undefined && options.continueFirstLink === true) {
    const chosen = options.links.parentAndLinks();
    if (chosen.parent !== undefined) parentContext = trace.setSpanContext(ROOT_CONTEXT, chosen.parent);
    links = chosen.links;
  } else {
    if (options.parent === 'root') parentContext = ROOT_CONTEXT;
    else if (options.parent !== undefined) parentContext = trace.setSpanContext(ROOT_CONTEXT, options.parent);
    links = options.links?.links();
  }
  const dropped = options.links?.dropped ?? 0;
  const span = tracer().startSpan(
    name,
    {
      kind: KINDS[options.kind ?? 'internal'],
      ...(options.attributes === undefined && dropped === 0
        ? {}
        : {
            attributes: { ...options.attributes, ...(dropped > 0 ? { 'msi.links.dropped': dropped } : {}) },
          }),
      ...(links === undefined || links.length === 0 ? {} : { links }),
      ...(options.startTimeMs === undefined ? {} : { startTime: options.startTimeMs }),
    },
    parentContext,
  );
  try {
    return await context.with(trace.setSpan(parentContext, span), () => work(span));
  } catch (error: unknown) {
    // The error's code or class, not its message: a message may quote a request's values.
    const type = errorType(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: type });
    span.setAttribute('error.type', type);
    throw error;
  } finally {
    span.end();
  }
}

function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code)) return code;
    if (error instanceof Error) return error.name;
  }
  return typeof error;
}
