import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../logger.js';
import { startTracing } from './start-tracing.js';

/** Spans recorded in memory (tests): tracing on for this process until `stop`. */
export interface RecordedSpans {
  /** The spans ended so far, in the order they ended. */
  finished(): readonly ReadableSpan[];
  /** The one ended span named `name` (throws when there is none or more than one). */
  one(name: string): ReadableSpan;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * Turns tracing on for this process with the SDK's InMemorySpanExporter (every span sampled unless
 * its parent was not), so that a test can read the spans its code under test made.
 */
export function recordSpans(service = 'test'): RecordedSpans {
  const exporter = new InMemorySpanExporter();
  const log = createLogger({ service, level: 'error', write: () => {} });
  const tracing = startTracing({
    service,
    instance: `${service}-test`,
    config: { enabled: false },
    log,
    exporter,
  });
  return {
    finished: () => exporter.getFinishedSpans(),
    one(name) {
      const spans = exporter.getFinishedSpans().filter((span) => span.name === name);
      if (spans.length !== 1) throw new Error(`${spans.length} spans named ${name}`);
      return spans[0] as ReadableSpan;
    },
    reset: () => exporter.reset(),
    stop: () => tracing.shutdown(),
  };
}
