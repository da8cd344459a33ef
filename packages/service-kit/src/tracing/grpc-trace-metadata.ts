import type { Metadata } from '@grpc/grpc-js';
import { context, propagation, type SpanContext, type TextMapGetter, trace } from '@opentelemetry/api';

const getter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const [value] = carrier.get(key);
    return typeof value === 'string' ? value : undefined;
  },
};

/**
 * The caller's span, when a traced client sent W3C `traceparent` metadata: a call's span continues
 * the client's trace. Hostile input: a malformed value is ignored (the call's span is a root).
 */
export function spanContextOfMetadata(metadata: Metadata): SpanContext | undefined {
  const [value] = metadata.get('traceparent');
  if (typeof value !== 'string') return undefined;
  return trace.getSpanContext(propagation.extract(context.active(), metadata, getter));
}
