export {
  type CheckResult,
  type CoveredEvent,
  checkSeal,
  type KnownSeal,
  type LocatedSeals,
  locateSeals,
} from './checks.js';
export { type Config, loadConfig } from './config.js';
export { type CosignedFailure, type CosignedNote, checkCosigned } from './cosigned.js';
export { ApiKeys, CredentialsError, type Identity, type Role } from './credentials.js';
export { type EventRows, eventRowsOf } from './event-rows.js';
export { type Failure, integritySubject, publishFailure } from './integrity.js';
export { lineageLevel } from './lineage-store.js';
export { prepareProjection, projectionDigest } from './projection-store.js';
export { consumerName, dropProjection, Projector, type ProjectorOptions } from './projector.js';
export {
  CHECKPOINT_NOTES,
  EventFinder,
  findEvent,
  findEvents,
  historyOf,
  type LatestCheckpoint,
  ReceiptCache,
  receiptOf,
} from './receipt-store.js';
export { RecentEventRows } from './recent-event-rows.js';
export { MIGRATIONS, PROJECTION_TABLES, SCHEMA } from './schema.js';
export { type RunningVerifier, startVerifier, type VerifierOptions } from './verifier.js';
export { toStatus, VerifierError, type VerifierErrorCode } from './verifier-error.js';
export { type VerifierServiceDeps, verifierService } from './verifier-service.js';
