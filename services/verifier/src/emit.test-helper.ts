import { createClient, type EmittedIndividual, type EventInput } from '@msi/client';
import { type EventKind, parseImprint } from '@msi/core';
import { eventV1 } from '@msi/proto';

const KIND_NAMES: Partial<Record<eventV1.EventKind, EventKind>> = {
  [eventV1.EventKind.EVENT_KIND_TRANSFER]: 'TRANSFER',
  [eventV1.EventKind.EVENT_KIND_PROCESS]: 'PROCESS',
  [eventV1.EventKind.EVENT_KIND_STORE]: 'STORE',
  [eventV1.EventKind.EVENT_KIND_ACCESS]: 'ACCESS',
  [eventV1.EventKind.EVENT_KIND_DELETE]: 'DELETE',
  [eventV1.EventKind.EVENT_KIND_STATE]: 'STATE',
};

/**
 * The event as @msi/client takes it, from the wire form the tests build (their assertions read the
 * wire form: ids, imprints). Ingest fills tenant, submitter and received_at; a test never sets them.
 */
export function eventInputOf(event: eventV1.DataEvent): EventInput {
  const kind = KIND_NAMES[event.kind];
  if (kind === undefined) throw new Error(`test event with kind ${event.kind}: not one of the six`);
  return {
    kind,
    eventId: event.eventId,
    data: parseImprint(event.data),
    actor: event.actor,
    occurredAt: Number(event.occurredAtUs),
    ...(event.inputs.length > 0 ? { inputs: event.inputs.map((i) => parseImprint(i)) } : {}),
    ...(event.outputs.length > 0 ? { outputs: event.outputs.map((o) => parseImprint(o)) } : {}),
    ...(event.toTenant === '' ? {} : { toTenant: event.toTenant }),
    ...(event.source === undefined ? {} : { source: event.source }),
    ...(event.destination === undefined ? {} : { destination: event.destination }),
    ...(event.parents.length > 0 ? { parents: event.parents } : {}),
    attributes: event.attributes.map(({ key, value }) => ({ key, value })),
  };
}

/**
 * Emits the events through @msi/client (the one client of the repository) with the key's
 * credentials and resolves once every one is durable, with their acks in order.
 */
export async function emitEvents(
  ingestAddress: string,
  apiKey: string,
  events: readonly eventV1.DataEvent[],
): Promise<EmittedIndividual[]> {
  const client = createClient({
    ingest: ingestAddress,
    apiKey,
    insecure: true,
    retry: { giveUpAfterMs: 30_000 },
  });
  try {
    return await Promise.all(
      events.map(async (e) => (await client.emit(eventInputOf(e))) as EmittedIndividual),
    );
  } finally {
    await client.close();
  }
}
