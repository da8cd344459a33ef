export {
  type CalendarIdentity,
  decodeRoundAnchored,
  encodeRoundAnchored,
  judgePublished,
  publishedCheckpoint,
  type ReplayedRound,
  replayRound,
} from './anchored-round.js';
export { Calendar, type CalendarDeps, type RoundOutcome } from './calendar.js';
export { CalendarError, type CalendarErrorCode, isFatal } from './calendar-error.js';
export { calendarConsistencyProof, calendarInclusionProof, fetchNodes } from './calendar-nodes.js';
export {
  calendarCheckpoint,
  calendarRound,
  calendarSize,
  type StoredCheckpoint,
  type StoredRound,
} from './calendar-queries.js';
export { type CalendarMeta, loadState, prepareDatabase } from './calendar-repository.js';
export { type RunnerOptions, type RunningCalendar, runCalendar } from './calendar-runner.js';
export { type CalendarState, emptyState, extendState } from './calendar-state.js';
export { type Config, loadConfig } from './config.js';
export {
  type CosignedCheckpoint,
  calendarCosignedCheckpoint,
  witnessSizes,
} from './cosignature-store.js';
export {
  type CalendarMetrics,
  createCalendarMetrics,
  createPublicationMetrics,
  createWitnessMetrics,
  type PublicationMetrics,
  type WitnessMetrics,
} from './metrics.js';
export {
  type PublicationOutcome,
  type PublisherOptions,
  publishNow,
  type RunningPublisher,
  startPublisher,
} from './publication-publisher.js';
export { holdsLease, publicationTime } from './publication-schedule.js';
export {
  calendarPublications,
  latestPublication,
  type StoredPublication,
} from './publication-store.js';
export { appRoleStatements, LOG_TABLES, MIGRATIONS, SCHEMA } from './schema.js';
export { type LogKey, loadLogKey } from './signing-key.js';
export { isCosignatureOf, judgeWitnessAnswer, type WitnessStep } from './witness-answer.js';
export { parseWitnessList, type WitnessTarget } from './witness-list.js';
export {
  type RunningSubmitter,
  type SubmissionOutcome,
  startWitnessSubmitter,
  type WitnessSubmitterOptions,
} from './witness-submitter.js';
