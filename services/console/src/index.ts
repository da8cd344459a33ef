export type {
  AckRequestJson,
  AckResponseJson,
  AlertJson,
  AlertsRequestJson,
  AlertsResponseJson,
  CheckpointResponseJson,
  ErrorJson,
  HistoryEntryJson,
  HistoryRequestJson,
  HistoryResponseJson,
  ReceiptRequestJson,
  ReceiptResponseJson,
} from './api-types.js';
export { BUILT_APP_DIR, type ConsoleConfig, loadConfig } from './config.js';
export { type RunningConsole, startConsole } from './console.js';
export { CONTENT_SECURITY_POLICY } from './security-headers.js';
