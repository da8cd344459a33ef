export { ConfigError, ConfigReader } from './config-reader.js';
export { bearerKey, CredentialStore, CredentialsError, type Identity, type Role } from './credentials.js';
export {
  type GrpcServerOptions,
  type GrpcServiceBinding,
  type RunningGrpcServer,
  ServerCredentials,
  startGrpcServer,
} from './grpc-server.js';
export { createLogger, type Logger, type LoggerOptions, type LogLevel } from './logger.js';
export { createRegistry, startMetricsServer } from './metrics-server.js';
export { shutdownSignal } from './shutdown.js';
export { type MappedStatus, unaryHandler } from './unary-handler.js';
