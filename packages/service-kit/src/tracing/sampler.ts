import {
  type Attributes,
  type Context,
  isSpanContextValid,
  type Link,
  type SpanKind,
  TraceFlags,
} from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { SamplerName } from './tracing-config.js';

/**
 * The sampler for OTEL_TRACES_SAMPLER / _ARG, with one addition for this pipeline: a root span
 * (no parent) that links to a sampled span is sampled too. A seal or a round starts a trace of its
 * own and links to the batches it covers; without this, a sampled SubmitBatch trace would lose its
 * seal and round whenever the ratio drew against them.
 */
export function samplerFor(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new FollowSampledLinks(new TraceIdRatioBasedSampler(ratio));
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new FollowSampledLinks(new AlwaysOffSampler()) });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new FollowSampledLinks(new TraceIdRatioBasedSampler(ratio)) });
    default: {
      const unknown: never = name;
      throw new Error(`unknown sampler ${String(unknown)}`);
    }
  }
}

/** Samples a span that links to a sampled span; otherwise asks `fallback`. */
class FollowSampledLinks implements Sampler {
  constructor(private readonly fallback: Sampler) {}

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const linked = links.some(
      (link) => isSpanContextValid(link.context) && (link.context.traceFlags & TraceFlags.SAMPLED) !== 0,
    );
    if (linked) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    return this.fallback.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `FollowSampledLinks{${this.fallback.toString()}}`;
  }
}
