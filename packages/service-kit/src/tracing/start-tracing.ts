import { context, type DiagLogger, DiagLogLevel, diag, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from '../logger.js';
import { samplerFor } from './sampler.js';
import { MAX_SPAN_LINKS } from './trace-links.js';
import type { TracingConfig } from './tracing-config.js';

export interface TracingOptions {
  /** `ingest`, `aggregator`…: the resource's service.name. */
  readonly service: string;
  readonly instance: string;
  readonly config: TracingConfig;
  /** Where the SDK's own warnings and errors (an unreachable collector) go. */
  readonly log: Logger;
  /**
   * Export here, span by span, instead of OTLP/HTTP in batches (tests: an InMemorySpanExporter).
   * Tracing is then on whatever the config says about the endpoint.
   */
  readonly exporter?: SpanExporter;
}

/** Tracing as set up: `shutdown` exports what is buffered and unregisters everything. */
export interface RunningTracing {
  readonly enabled: boolean;
  shutdown(): Promise<void>;
}

/**
 * Sets up OpenTelemetry tracing for this process, when the config (or a test's exporter) turns it
 * on: a tracer provider with the configured sampler, spans batched to OTLP/HTTP (JSON), W3C trace
 * context as the propagator (NATS headers, gRPC metadata) and an AsyncLocalStorage context manager,
 * all registered globally so that `traced` and `traceHeaders` anywhere in the process use them.
 * With tracing off nothing is registered: the API's no-op tracer costs next to nothing.
 */
export function startTracing(options: TracingOptions): RunningTracing {
  const { config } = options;
  if (!config.enabled && options.exporter === undefined) return { enabled: false, shutdown: async () => {} };
  diag.setLogger(diagToLog(options.log), DiagLogLevel.WARN);
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: config.enabled ? config.url : '' });
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.service,
        'service.namespace': 'msi',
        'service.instance.id': options.instance,
      }),
    ),
    sampler: config.enabled
      ? samplerFor(config.sampler, config.ratio)
      : samplerFor('parentbased_always_on', 1),
    spanLimits: { linkCountLimit: MAX_SPAN_LINKS },
    spanProcessors: [
      options.exporter === undefined ? new BatchSpanProcessor(exporter) : new SimpleSpanProcessor(exporter),
    ],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    enabled: true,
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        propagation.disable();
        context.disable();
        diag.disable();
      }
    },
  };
}

function diagToLog(log: Logger): DiagLogger {
  const tracingLog = log.child({ component: 'tracing' });
  const ignore = () => {};
  return {
    error: (message, ...args) =>
      tracingLog.warn(message, args.length > 0 ? { details: args.map(String) } : {}),
    warn: (message, ...args) =>
      tracingLog.warn(message, args.length > 0 ? { details: args.map(String) } : {}),
    info: ignore,
    debug: ignore,
    verbose: ignore,
  };
}
