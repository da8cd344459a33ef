export { falcoAlert } from './adapters/falco-alert.js';
export { type ImportSummary, importLog, LOG_FORMATS, type LogFormat } from './adapters/import-log.js';
export { osqueryFileEvent } from './adapters/osquery-file-event.js';
export { AdapterError, type AdapterErrorCode } from './adapters/record-fields.js';
export { Agent, type AgentParts, type PassSummary } from './agent.js';
export {
  type AgentConfig,
  FILE_CLASSES,
  type FileClass,
  parseAgentConfig,
} from './agent-config.js';
export { type AgentEvent, type Change, toEventInput } from './agent-event.js';
export { runAgentService } from './agent-service.js';
export { type AgentSettings, loadAgentSettings } from './agent-settings.js';
export { type OpenAgent, openAgent, receiptDirOf } from './open-agent.js';
export {
  type ProvenReport,
  proveState,
  type StateProof,
  StateProofError,
  type StateProofErrorCode,
} from './prove-state.js';
export { Spool } from './spool.js';
export { type StateAt, stateAt } from './state-at.js';
export { type IndexEntry, readIndexOf, StateIndex } from './state-index.js';
