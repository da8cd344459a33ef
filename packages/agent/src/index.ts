export { Agent, type AgentParts, type PassSummary } from './agent.js';
export {
  type AgentConfig,
  AgentConfigError,
  type AgentConfigErrorCode,
  FILE_CLASSES,
  type FileClass,
  parseAgentConfig,
} from './agent-config.js';
export { type AgentEvent, type Change, toEventInput } from './agent-event.js';
export { Spool } from './spool.js';
export { type IndexEntry, readIndexOf, StateIndex } from './state-index.js';
