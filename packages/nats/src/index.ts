export { connectNats, type NatsConnectionOptions, watchConnection } from './connection.js';
export {
  type DurablePublishOptions,
  PublishError,
  type PublishErrorCode,
  publishDurable,
} from './publish.js';
export { readSubject, type StoredMessage } from './read-subject.js';
export { type NatsServers, parseNatsServers, redactNatsUrl } from './server-urls.js';
export {
  defaultStreamSettings,
  deleteStreamsWithPrefix,
  ensureStreams,
  type StreamSettings,
  streamConfigsFor,
} from './streams.js';
export {
  type AlertSeverity,
  assertValidPrefix,
  type BucketNames,
  bucketNamesFor,
  claimsStreamFor,
  type IntegritySource,
  MAX_SHARDS,
  type StreamNames,
  type Subjects,
  shardOfSubject,
  streamNamesFor,
  subjectsFor,
} from './subjects.js';
