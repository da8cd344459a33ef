import { formatUuid } from '@msi/core';
import { ingestV1 } from '@msi/proto';
import type { IngestError, IngestErrorCode } from './ingest-error.js';
import type { LineageError, LineageErrorCode } from './lineage-error.js';
import type { LineagePart } from './lineage-events.js';

/** An HTTP answer of the OpenLineage endpoint: status, JSON body, extra headers. */
export interface LineageAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Codes of the endpoint's own (HTTP) refusals. */
export type HttpRefusalCode = 'NOT_FOUND' | 'METHOD_NOT_ALLOWED';

const LINEAGE_STATUS: Readonly<Record<LineageErrorCode, number>> = {
  BODY_NOT_JSON: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_FIELD: 400,
  CONTENT_HASH_MISSING: 400,
  CONTENT_HASH_INVALID: 400,
  VALUE_TOO_LONG: 400,
  NO_DATASETS: 400,
  TOO_MANY_DATASETS: 400,
};

const INGEST_STATUS: Readonly<Record<IngestErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 503,
  UNAVAILABLE: 503,
  FAILED_PRECONDITION: 409,
  ABORTED: 409,
  INTERNAL: 500,
};

/** Per-event failure codes of ingest's acks, as the endpoint names them, and their HTTP status. */
const FAILURE: Readonly<Record<ingestV1.FailureCode, { code: string; status: number }>> = {
  [ingestV1.FailureCode.FAILURE_CODE_UNSPECIFIED]: { code: 'INTERNAL', status: 500 },
  [ingestV1.FailureCode.FAILURE_CODE_UNAVAILABLE]: { code: 'UNAVAILABLE', status: 503 },
  [ingestV1.FailureCode.FAILURE_CODE_IN_PROGRESS]: { code: 'IN_PROGRESS', status: 503 },
  [ingestV1.FailureCode.FAILURE_CODE_OVERLOADED]: { code: 'OVERLOADED', status: 503 },
  [ingestV1.FailureCode.FAILURE_CODE_ID_CONFLICT]: { code: 'ID_CONFLICT', status: 409 },
  [ingestV1.FailureCode.FAILURE_CODE_ID_OUTSIDE_WINDOW]: { code: 'ID_OUTSIDE_WINDOW', status: 400 },
};

/** Retry advice on every 503: the OpenLineage clients' HTTP transport retries on it. */
const RETRY = { 'retry-after': '1' };

const refusal = (status: number, code: string, message: string, field?: string): LineageAnswer => ({
  status,
  body: field === undefined ? { code, message } : { code, message, field },
  ...(status === 503 ? { headers: RETRY } : {}),
});

export const httpRefusal = (code: HttpRefusalCode, message: string): LineageAnswer =>
  refusal(code === 'NOT_FOUND' ? 404 : 405, code, message);

export const lineageRefusal = (error: LineageError): LineageAnswer =>
  refusal(LINEAGE_STATUS[error.code], error.code, error.message, error.field);

/**
 * An IngestError of the pipeline as the endpoint answers it. Its field names the DataEvent made
 * from the RunEvent (`events[1].occurred_at_us`); the answer names the RunEvent's field instead.
 */
export function ingestRefusal(error: IngestError): LineageAnswer {
  const field = error.field === undefined ? undefined : runEventField(error.field);
  const message = error.field === undefined ? error.message : `${field}: ${error.message}`;
  return refusal(INGEST_STATUS[error.code], error.code, message, field);
}

/** The RunEvent field a DataEvent field comes from (lineage-events.ts); `body` for the rest. */
function runEventField(field: string): string {
  const match = /^events\[\d+\]\.(\w+)/.exec(field);
  switch (match?.[1]) {
    case 'occurred_at_us':
      return 'eventTime';
    case 'event_id':
      return 'run.runId';
    case 'actor':
      return 'job.name';
    default:
      return 'body';
  }
}

/** A RunEvent MSI does not anchor (docs/OPENLINEAGE.md, "Event types"): 202, nothing anchored. */
export const notAnchored = (eventType: string): LineageAnswer => ({
  status: 202,
  body: {
    eventType,
    events: [],
    message: `${eventType} events are accepted and not anchored: MSI anchors a run's COMPLETE event, whose datasets carry their content hash`,
  },
});

/**
 * The answer to an anchored RunEvent from ingest's acks (one per part, in chain order): 201 when
 * an event is new, 200 when every one was a duplicate, else the status of the first failure with
 * each event's outcome.
 */
export function acksAnswer(
  parts: readonly LineagePart[],
  acks: readonly ingestV1.EventAck[],
  eventType: string,
  idTimeField: string,
): LineageAnswer {
  const events = acks.map((ack, k) => {
    const part = parts[k];
    const base = {
      eventId: formatUuid(ack.eventId),
      kind: part?.kind,
      part: `${k + 1}/${parts.length}`,
    };
    const outcome = ack.outcome;
    if (outcome?.$case === 'durable') {
      return {
        ...base,
        duplicate: outcome.value.duplicate,
        leafHash: Buffer.from(outcome.value.leafHash).toString('hex'),
        shard: outcome.value.shard,
        expectedRound: Number(outcome.value.expectedRound),
      };
    }
    const failure = FAILURE[outcome?.value.code ?? ingestV1.FailureCode.FAILURE_CODE_UNSPECIFIED];
    return { ...base, failed: { code: failure.code, message: outcome?.value.message ?? '' } };
  });
  const firstFailed = acks.findIndex((ack) => ack.outcome?.$case !== 'durable');
  if (firstFailed >= 0) {
    const outcome = acks[firstFailed]?.outcome;
    const failure =
      FAILURE[
        outcome?.$case === 'failed' ? outcome.value.code : ingestV1.FailureCode.FAILURE_CODE_UNSPECIFIED
      ];
    const message = outcome?.$case === 'failed' ? outcome.value.message : 'no outcome';
    const field = failure.code === 'ID_OUTSIDE_WINDOW' ? idTimeField : undefined;
    const answer = refusal(
      failure.status,
      failure.code,
      `event ${firstFailed + 1}/${parts.length}: ${message}`,
      field,
    );
    return { ...answer, body: { ...answer.body, events } };
  }
  const fresh = acks.some((ack) => ack.outcome?.$case === 'durable' && !ack.outcome.value.duplicate);
  return { status: fresh ? 201 : 200, body: { eventType, events } };
}
