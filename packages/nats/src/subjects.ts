/**
 * Every NATS subject, stream and bucket name MSI uses, derived from one configurable prefix so that
 * several deployments (or test runs) share a server without touching each other's data.
 *
 *   <prefix>.events.<shard>     event batches from ingest         stream <P>_EVENTS
 *   <prefix>.seals.<shard>      shard seals from aggregators      stream <P>_SEALS
 *   <prefix>.rounds             anchored rounds from the calendar stream <P>_ROUNDS
 *   <prefix>.security           failed authentication / authz     stream <P>_SECURITY
 *   <prefix>.integrity.<source> integrity failures (verifier,     stream <P>_INTEGRITY
 *                               witness refusals from the calendar)
 *   <prefix>.checkpoints        cosigned checkpoints (calendar)   stream <P>_CHECKPOINTS
 *   <prefix>.publications       periodic publications (calendar)  stream <P>_PUBLICATIONS
 *   <prefix>.alerts.<severity>  alerts from the alerter           stream <P>_ALERTS
 *   <prefix>.claims             ingest's event-id claims, one    stream <P>_CLAIMS (created by
 *                               message per EventBatch            ingest: max age = dedup window)
 *   KV <P>_LEASES               shard ownership leases for aggregators
 *   KV <P>_SHARDS               the versioned shard map, ingest instances' reports, shard statuses
 * where <P> is the prefix upper-cased with dots replaced by underscores.
 */
export type AlertSeverity = 'critical' | 'high' | 'medium' | 'low';
/** Who reports an integrity failure: the verifier's checks, or the calendar relaying a witness refusal. */
export type IntegritySource = 'verifier' | 'witness' | 'aggregator';

export interface Subjects {
  readonly prefix: string;
  events(shard: number): string;
  readonly allEvents: string;
  seals(shard: number): string;
  readonly allSeals: string;
  readonly rounds: string;
  readonly security: string;
  /** Ingest's idempotency claims (ClaimBatch, one per EventBatch). */
  readonly claims: string;
  /** Integrity failures found by `source` (`verifier`, `witness`). */
  integrity(source: IntegritySource): string;
  readonly allIntegrity: string;
  /** Checkpoints with the witness cosignatures collected so far. */
  readonly checkpoints: string;
  /** Periodic publications: a checkpoint fit to be printed or posted elsewhere. */
  readonly publications: string;
  alerts(severity: AlertSeverity): string;
  readonly allAlerts: string;
}

export interface StreamNames {
  readonly events: string;
  readonly seals: string;
  readonly rounds: string;
  readonly security: string;
  readonly integrity: string;
  readonly checkpoints: string;
  readonly publications: string;
  readonly alerts: string;
}

export interface BucketNames {
  readonly leases: string;
  readonly shardMap: string;
}

const PREFIX_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** The largest shard count we accept; shard numbers are u32 in seal records, this keeps subjects sane. */
export const MAX_SHARDS = 4096;

/** Throws when `prefix` is not one or more dot-separated tokens of [A-Za-z0-9_-]. */
export function assertValidPrefix(prefix: string): void {
  if (!PREFIX_PATTERN.test(prefix) || prefix.length > 64) {
    throw new Error(
      `subject prefix ${JSON.stringify(prefix)} must be dot-separated tokens of [A-Za-z0-9_-], at most 64 chars`,
    );
  }
}

function assertShard(shard: number): void {
  if (!Number.isInteger(shard) || shard < 0 || shard >= MAX_SHARDS) {
    throw new Error(`shard ${shard} out of range [0, ${MAX_SHARDS})`);
  }
}

export function subjectsFor(prefix: string): Subjects {
  assertValidPrefix(prefix);
  return {
    prefix,
    events(shard) {
      assertShard(shard);
      return `${prefix}.events.${shard}`;
    },
    allEvents: `${prefix}.events.*`,
    seals(shard) {
      assertShard(shard);
      return `${prefix}.seals.${shard}`;
    },
    allSeals: `${prefix}.seals.*`,
    rounds: `${prefix}.rounds`,
    security: `${prefix}.security`,
    claims: `${prefix}.claims`,
    integrity: (source) => `${prefix}.integrity.${source}`,
    allIntegrity: `${prefix}.integrity.*`,
    checkpoints: `${prefix}.checkpoints`,
    publications: `${prefix}.publications`,
    alerts: (severity) => `${prefix}.alerts.${severity}`,
    allAlerts: `${prefix}.alerts.*`,
  };
}

function upperName(prefix: string): string {
  assertValidPrefix(prefix);
  return prefix.replaceAll('.', '_').toUpperCase();
}

export function streamNamesFor(prefix: string): StreamNames {
  const p = upperName(prefix);
  return {
    events: `${p}_EVENTS`,
    seals: `${p}_SEALS`,
    rounds: `${p}_ROUNDS`,
    security: `${p}_SECURITY`,
    integrity: `${p}_INTEGRITY`,
    checkpoints: `${p}_CHECKPOINTS`,
    publications: `${p}_PUBLICATIONS`,
    alerts: `${p}_ALERTS`,
  };
}

export function bucketNamesFor(prefix: string): BucketNames {
  const p = upperName(prefix);
  return { leases: `${p}_LEASES`, shardMap: `${p}_SHARDS` };
}

/** The stream of ingest's idempotency claims (not in ensureStreams: ingest sizes it by its window). */
export function claimsStreamFor(prefix: string): string {
  return `${upperName(prefix)}_CLAIMS`;
}

/** The shard number in the last token of an events or seals subject, or throws. */
export function shardOfSubject(subject: string): number {
  const token = subject.slice(subject.lastIndexOf('.') + 1);
  const shard = Number(token);
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new Error(`subject ${subject} has no shard token`);
  assertShard(shard);
  return shard;
}
