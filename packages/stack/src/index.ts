export {
  CLUSTER_SHELTER,
  ClusterPlacementError,
  type ClusterPlacementErrorCode,
} from './cluster-placement.js';
export {
  type DevConsole,
  type DevConsoleOptions,
  devBanner,
  type LineStyle,
  processLineText,
  startDevConsole,
  statusLine,
  supervisionLineText,
} from './dev-console.js';
export { type DevStack, type DevStackOptions, startDevStack } from './dev-stack.js';
export {
  type EmbeddedNats,
  type EmbeddedNatsOptions,
  findNatsServer,
  startEmbeddedNats,
  waitForPort,
} from './embedded-nats.js';
export {
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresServer,
  startEmbeddedPostgres,
} from './embedded-postgres.js';
export { freePort } from './free-port.js';
export { KeeperError, type KeeperErrorCode } from './keeper-protocol.js';
export {
  countOpenAlerts,
  formatOpenAlerts,
  MAX_COUNTED,
  type OpenAlertCounts,
  pollOpenAlerts,
  SEVERITY_NAMES,
  type SeverityName,
  tallyOpenAlerts,
} from './open-alerts.js';
export {
  type ApiKeyCredential,
  type Pipeline,
  type PipelineOptions,
  SERVICE_NODE_ARGS,
  startPipeline,
  waitForHealth,
} from './pipeline.js';
export { type ReadableLogOptions, readableLogLine } from './readable-log.js';
export {
  DEFAULT_RESTART_POLICY,
  EXIT_BAD_CONFIGURATION,
  type ProcessExit,
  type RestartPolicy,
} from './restart-policy.js';
export { type Clock, type RestartOptions, type SupervisionEvent, systemClock } from './restarter.js';
export { type RoundSummary, watchRounds } from './round-watcher.js';
export { type ProcessLine, SupervisedProcess, type SupervisedProcessOptions } from './supervised-process.js';
export { describeSupervisionEvent } from './supervision-text.js';
