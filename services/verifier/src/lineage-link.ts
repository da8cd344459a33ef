import type { DataEvent } from '@msi/core';
import { type eventV1, verifierV1 } from '@msi/proto';

/**
 * The lineage link an event makes (the one rule, for GetHistory and GetLineage): a PROCESS links its
 * inputs to its outputs within its tenant; a TRANSFER links its data to itself, from its tenant to
 * `to_tenant` (its own tenant when empty). Other kinds make no link. `proto` is the event's wire form
 * (eventToProto of `event`).
 */
export function lineageLinkOf(
  event: DataEvent,
  proto: eventV1.DataEvent,
): verifierV1.LineageLink | undefined {
  const common = {
    eventId: proto.eventId,
    fromTenant: event.tenant,
    source: proto.source,
    destination: proto.destination,
  };
  if (event.kind === 'PROCESS') {
    return {
      ...common,
      kind: verifierV1.LinkKind.LINK_KIND_PROCESS,
      fromData: proto.inputs,
      toData: proto.outputs,
      toTenant: event.tenant,
    };
  }
  if (event.kind === 'TRANSFER') {
    return {
      ...common,
      kind: verifierV1.LinkKind.LINK_KIND_TRANSFER,
      fromData: [proto.data],
      toData: [proto.data],
      toTenant: event.toTenant === '' ? event.tenant : event.toTenant,
    };
  }
  return undefined;
}
