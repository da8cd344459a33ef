export {
  type FactChange,
  type FactSource,
  factsOfStateEvent,
  NO_FACTS,
} from './facts.js';
export { formatDay, WEEKDAYS, type Weekday, ZoneClock } from './local-time.js';
export { parsePolicy } from './parse-policy.js';
export type {
  CustodyExemption,
  CustodyRuleSettings,
  CustodySettings,
  IntegritySettings,
  Policy,
  PolicyRule,
  RuleMatch,
  WebhookSpec,
} from './policy.js';
export {
  formatProblem,
  PolicyError,
  type PolicyErrorCode,
  type PolicyProblem,
} from './policy-error.js';
export { SEVERITIES, type Severity, severityRank } from './severity.js';
export { readYamlDocument, type YamlDocumentResult } from './yaml-document.js';
export { type At, type Entries, type Entry, YamlReader } from './yaml-reader.js';
