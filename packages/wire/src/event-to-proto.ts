import { type DataEvent, encodeImprint, kindCode } from '@msi/core';
import { eventV1 } from '@msi/proto';

/** The proto view of a domain event (for APIs that return events). */
export function eventToProto(event: DataEvent): eventV1.DataEvent {
  const bytes = (value: Uint8Array) => Buffer.from(value);
  return eventV1.DataEvent.fromPartial({
    tenant: event.tenant,
    eventId: bytes(event.eventId),
    kind: kindCode(event.kind) as eventV1.EventKind,
    data: bytes(encodeImprint(event.data)),
    inputs: event.inputs.map((imprint) => bytes(encodeImprint(imprint))),
    outputs: event.outputs.map((imprint) => bytes(encodeImprint(imprint))),
    toTenant: event.toTenant,
    actor: event.actor,
    submitter: event.submitter,
    source: { ...event.source },
    destination: { ...event.destination },
    occurredAtUs: BigInt(event.occurredAt),
    receivedAtUs: BigInt(event.receivedAt),
    parents: event.parents.map(bytes),
    attributes: event.attributes.map((attribute) => ({ ...attribute })),
    nonce: bytes(event.nonce),
  });
}
