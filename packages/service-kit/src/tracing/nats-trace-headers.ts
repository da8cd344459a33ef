import { type MsgHdrs, headers as natsHeaders } from '@nats-io/transport-node';
import {
  context,
  isSpanContextValid,
  propagation,
  type SpanContext,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';

const getter: TextMapGetter<MsgHdrs> = {
  keys: (carrier) => carrier.keys(),
  get: (carrier, key) => (carrier.has(key) ? carrier.get(key) : undefined),
};

/**
 * NATS message headers carrying the active span (W3C `traceparent`, and `tracestate` when set), to
 * publish with a message; `into` (when given) receives them. Undefined when no span is active
 * (tracing off): the message goes without trace headers. The headers are never part of any hashed
 * or signed bytes: they travel beside the payload.
 */
export function traceHeaders(into?: MsgHdrs): MsgHdrs | undefined {
  const active = context.active();
  const span = trace.getSpanContext(active);
  if (span === undefined || !isSpanContextValid(span)) return into;
  const carrier = into ?? natsHeaders();
  propagation.inject(active, carrier, { set: (c, key, value) => c.set(key, value) });
  return carrier;
}

/** The span a message's headers carry (its `traceparent`), or undefined. The headers are hostile input: a malformed value is ignored. */
export function spanContextOfHeaders(headers: MsgHdrs | undefined): SpanContext | undefined {
  if (headers === undefined || !headers.has('traceparent')) return undefined;
  return trace.getSpanContext(propagation.extract(context.active(), headers, getter));
}

/** `{ headers }` with the active span's trace headers, or `{}`: to spread into publish options. */
export function withTraceHeaders(): { headers: MsgHdrs } | Record<string, never> {
  const headers = traceHeaders();
  return headers === undefined ? {} : { headers };
}
