export { ConfigError, ConfigReader } from './config-reader.js';
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
  type GrpcServerOptions,
  type GrpcServiceBinding,
  type RunningGrpcServer,
  ServerCredentials,
  startGrpcServer,
} from './grpc-server.js';
export { createLogger, type Logger, type LoggerOptions, type LogLevel } from './logger.js';
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
export { shutdownSignal } from './shutdown.js';
export { type DecodeProblem, findDecodeProblem } from './strict-decode.js';
export {
  isUndecodable,
  type RefusedCall,
  strictService,
  type UndecodableHandler,
  UndecodableRequest,
} from './strict-service.js';
export { type MappedStatus, retryLater, unaryHandler } from './unary-handler.js';
export {
  type CallAuthentication,
  type UndecodableRefusalOptions,
  undecodableRefusal,
} from './undecodable-refusal.js';
