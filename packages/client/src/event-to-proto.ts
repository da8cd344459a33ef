import { type EventClaims, encodeImprint, kindCode } from '@msi/core';
import type { eventV1 } from '@msi/proto';

const EMPTY = Buffer.alloc(0);
const bytes = (value: Uint8Array): Buffer => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

/**
 * The SubmitBatch form of an individual event: the client's fields, and the fields ingest stamps left
 * empty (tenant, submitter, received_at, nonce: proto/msi/ingest/v1/ingest.proto).
 */
export function eventToProto(claims: EventClaims): eventV1.DataEvent {
  return {
    tenant: '',
    eventId: bytes(claims.eventId),
    kind: kindCode(claims.kind) as eventV1.EventKind,
    data: bytes(encodeImprint(claims.data)),
    inputs: claims.inputs.map((i) => bytes(encodeImprint(i))),
    outputs: claims.outputs.map((o) => bytes(encodeImprint(o))),
    toTenant: claims.toTenant,
    actor: claims.actor,
    submitter: '',
    source: { ...claims.source },
    destination: { ...claims.destination },
    occurredAtUs: BigInt(claims.occurredAt),
    receivedAtUs: 0n,
    parents: claims.parents.map(bytes),
    attributes: claims.attributes.map((a) => ({ key: a.key, value: a.value })),
    nonce: EMPTY,
  };
}
