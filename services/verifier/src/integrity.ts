import { subjectsFor } from '@msi/nats';
import { verifierV1 } from '@msi/proto';
import type { NatsConnection } from '@nats-io/transport-node';

/** A detected integrity failure (see IntegrityFailure in proto/msi/verifier/v1). */
export interface Failure {
  readonly kind: verifierV1.IntegrityFailureKind;
  /** The stream name, or "projection" for checks of the verifier's own rows. */
  readonly source: string;
  readonly seq: number;
  readonly shard: number;
  readonly number: number;
  readonly detail: string;
}

/** The subject integrity failures are published on (the stream is the lead's to add). */
export const integritySubject = (prefix: string): string => subjectsFor(prefix).integrity('verifier');

/** Publishes a failure on `<prefix>.integrity.verifier` (core NATS, not awaited: the row in Postgres is the record). */
export function publishFailure(nc: NatsConnection, prefix: string, failure: Failure, nowMs: number): void {
  const message = verifierV1.IntegrityFailure.encode({
    version: 1,
    kind: failure.kind,
    stream: failure.source,
    streamSequence: BigInt(failure.seq),
    shard: failure.shard,
    number: BigInt(failure.number),
    detail: failure.detail,
    detectedAtUs: BigInt(nowMs) * 1000n,
  }).finish();
  nc.publish(integritySubject(prefix), message);
}
