import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { samplerFor } from './sampler.js';

const link = (flags: TraceFlags) => ({
  context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: flags },
});
// A trace id that a ratio of 0.01 does not sample (the SDK folds it to 0xffffffff, above the bound).
const TRACE_ID = `${'0'.repeat(24)}ffffffff`;

describe('samplerFor', () => {
  it('samples a root span that links to a sampled span, else follows the ratio', () => {
    const sampler = samplerFor('parentbased_traceidratio', 0.01);
    const decide = (links: ReturnType<typeof link>[]) =>
      sampler.shouldSample(ROOT_CONTEXT, TRACE_ID, 'aggregator.seal', SpanKind.INTERNAL, {}, links).decision;
    expect(decide([])).toBe(SamplingDecision.NOT_RECORD);
    expect(decide([link(TraceFlags.NONE)])).toBe(SamplingDecision.NOT_RECORD);
    expect(decide([link(TraceFlags.NONE), link(TraceFlags.SAMPLED)])).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
  });

  it('follows the parent’s decision for a child span', () => {
    const sampler = samplerFor('parentbased_traceidratio', 1);
    const parent = trace.setSpanContext(ROOT_CONTEXT, link(TraceFlags.NONE).context);
    expect(sampler.shouldSample(parent, TRACE_ID, 'x', SpanKind.INTERNAL, {}, []).decision).toBe(
      SamplingDecision.NOT_RECORD,
    );
  });

  it('samples everything or nothing with always_on / always_off', () => {
    expect(
      samplerFor('always_on', 0).shouldSample(ROOT_CONTEXT, TRACE_ID, 'x', SpanKind.INTERNAL, {}, [
        link(TraceFlags.SAMPLED),
      ]).decision,
    ).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(
      samplerFor('always_off', 1).shouldSample(ROOT_CONTEXT, TRACE_ID, 'x', SpanKind.INTERNAL, {}, [
        link(TraceFlags.SAMPLED),
      ]).decision,
    ).toBe(SamplingDecision.NOT_RECORD);
  });
});
