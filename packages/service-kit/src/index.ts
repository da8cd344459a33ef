export { type BoundedBody, DRAIN_LIMIT_BYTES, readBoundedBody } from './bounded-body.js';
export { ConfigError, ConfigReader, fromFile } from './config-reader.js';
export {
  type ApiKeyFailure,
  authenticateApiKey,
  bearerKey,
  CredentialStore,
  CredentialsError,
  type Identity,
  type Role,
} from './credentials.js';
export {
  API_REFUSALS,
  type ApiRefusalCode,
  type CodedErrorClass,
  type ErrorStatusOptions,
  errorStatus,
  retryLater,
} from './error-status.js';
export { type EveryOptions, every, type LoopTimers, type RunningLoop } from './every.js';
export {
  type GrpcServerOptions,
  type GrpcServiceBinding,
  type RunningGrpcServer,
  ServerCredentials,
  startGrpcServer,
} from './grpc-server.js';
export { type InProcessOptions, type InProcessParts, startInProcess } from './in-process.js';
export {
  createLogger,
  LOG_LEVELS,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './logger.js';
export {
  createRegistry,
  type RunningMetricsServer,
  startMetricsListener,
  startMetricsServer,
} from './metrics-server.js';
export { protoRegistry, requestSchemaOf } from './proto-schemas.js';
export {
  type SecurityIncident,
  SecurityReporter,
  type SecurityReporterOptions,
} from './security-reporter.js';
export { ServiceHealth } from './service-health.js';
export {
  type PostgresOptions,
  runService,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceParts,
  type ServiceSettings,
} from './service-runner.js';
export { shutdownSignal } from './shutdown.js';
export {
  eachMessage,
  type GroupApplied,
  type GroupApplier,
  type HandlerResult,
  type PumpHandler,
  type PumpMessage,
  StreamPump,
  type StreamPumpOptions,
} from './stream-pump.js';
export { type DecodeProblem, findDecodeProblem } from './strict-decode.js';
export {
  isUndecodable,
  type RefusedCall,
  strictService,
  type UndecodableHandler,
  UndecodableRequest,
} from './strict-service.js';
export { spanContextOfMetadata } from './tracing/grpc-trace-metadata.js';
export { spanContextOfHeaders, traceHeaders, withTraceHeaders } from './tracing/nats-trace-headers.js';
export { type RecordedSpans, recordSpans } from './tracing/recorded-spans.js';
export { type RunningTracing, startTracing, type TracingOptions } from './tracing/start-tracing.js';
export { MAX_SPAN_LINKS, TraceLinks } from './tracing/trace-links.js';
export { type TracedOptions, traced } from './tracing/traced.js';
export {
  readTracingConfig,
  SAMPLER_NAMES,
  type SamplerName,
  type TracingConfig,
} from './tracing/tracing-config.js';
export { type MappedStatus, unaryHandler } from './unary-handler.js';
export {
  type CallAuthentication,
  type UndecodableRefusalOptions,
  undecodableRefusal,
} from './undecodable-refusal.js';
