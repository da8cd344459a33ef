import type { DataEvent } from '../event/index.js';
import { formatImprint, type Imprint, imprintEquals } from '../imprint/index.js';
import { formatUuid } from '../uuid/index.js';
import { endpointText, isoMicros } from './export-text.js';

/** The namespace of MSI's PROV terms (docs/PROOFS.md §15). */
export const MSI_PROV_NAMESPACE = 'https://msi.dev/ns/prov#';

type Attributes = Record<string, unknown>;

/** A W3C PROV-JSON document (its members that MSI writes). */
export interface ProvDocument {
  readonly prefix: Record<string, string>;
  readonly entity: Record<string, Attributes>;
  readonly activity: Record<string, Attributes>;
  readonly agent: Record<string, Attributes>;
  readonly used: Record<string, Attributes>;
  readonly wasGeneratedBy: Record<string, Attributes>;
  readonly wasDerivedFrom: Record<string, Attributes>;
  readonly wasAssociatedWith: Record<string, Attributes>;
  readonly wasInformedBy: Record<string, Attributes>;
}

const qualified = (name: string) => ({ $: name, type: 'prov:QUALIFIED_NAME' });
const dateTime = (micros: number) => ({ $: isoMicros(micros), type: 'xsd:dateTime' });

/**
 * The chain of custody of `events` (verified events, e.g. of `msi history`) as W3C PROV-JSON
 * (docs/PROOFS.md §15): an entity per data imprint, an activity per event (its kind, times, tenant,
 * endpoints, `prov:location` = its destination, else its source), an agent per actor and per
 * submitter (wasAssociatedWith, role msi:actor or msi:submitter); a PROCESS used its inputs,
 * generated its outputs, each output wasDerivedFrom each input; every other kind used its data;
 * an event's parents informed it (wasInformedBy). Pure and deterministic: the same events in the
 * same order give the same document.
 */
export function provDocument(events: readonly DataEvent[]): ProvDocument {
  const doc: ProvDocument = {
    prefix: {
      msi: MSI_PROV_NAMESPACE,
      data: 'urn:msi:imprint:',
      event: 'urn:uuid:',
      agent: 'urn:msi:agent:',
    },
    entity: {},
    activity: {},
    agent: {},
    used: {},
    wasGeneratedBy: {},
    wasDerivedFrom: {},
    wasAssociatedWith: {},
    wasInformedBy: {},
  };
  let n = 0;
  const relation = (kind: keyof ProvDocument, attributes: Attributes) => {
    (doc[kind] as Record<string, Attributes>)[`_:${kind}${++n}`] = attributes;
  };
  const entity = (imprint: Imprint) => {
    const text = formatImprint(imprint);
    const id = `data:${text}`;
    doc.entity[id] = { 'prov:type': qualified('msi:Data'), 'prov:label': text };
    return id;
  };
  for (const event of events) {
    const activity = `event:${formatUuid(event.eventId)}`;
    doc.activity[activity] = activityAttributes(event);
    for (const [role, name] of [
      ['actor', event.actor],
      ['submitter', event.submitter],
    ] as const) {
      const agent = `agent:${encodeURIComponent(event.tenant)}/${role}/${encodeURIComponent(name)}`;
      doc.agent[agent] = {
        'prov:type': qualified(role === 'actor' ? 'msi:Actor' : 'msi:Submitter'),
        'prov:label': name,
        'msi:tenant': event.tenant,
      };
      relation('wasAssociatedWith', {
        'prov:activity': activity,
        'prov:agent': agent,
        'prov:role': qualified(`msi:${role}`),
      });
    }
    const time = dateTime(event.occurredAt);
    const consumed = event.kind === 'PROCESS' ? event.inputs : [event.data];
    const inputs = consumed.map((imprint) => entity(imprint));
    for (const input of inputs)
      relation('used', { 'prov:activity': activity, 'prov:entity': input, 'prov:time': time });
    if (event.kind === 'PROCESS') {
      if (
        !event.inputs.some((i) => imprintEquals(i, event.data)) &&
        !event.outputs.some((o) => imprintEquals(o, event.data))
      ) {
        relation('used', { 'prov:activity': activity, 'prov:entity': entity(event.data), 'prov:time': time });
      }
      for (const output of event.outputs.map((imprint) => entity(imprint))) {
        relation('wasGeneratedBy', { 'prov:entity': output, 'prov:activity': activity, 'prov:time': time });
        for (const input of inputs) {
          relation('wasDerivedFrom', {
            'prov:generatedEntity': output,
            'prov:usedEntity': input,
            'prov:activity': activity,
          });
        }
      }
    }
    for (const parent of event.parents) {
      relation('wasInformedBy', {
        'prov:informed': activity,
        'prov:informant': `event:${formatUuid(parent)}`,
      });
    }
  }
  return doc;
}

function activityAttributes(event: DataEvent): Attributes {
  const source = endpointText(event.source);
  const destination = endpointText(event.destination);
  const location = destination !== '' ? destination : source;
  return {
    'prov:type': qualified(`msi:${event.kind}`),
    'prov:startTime': isoMicros(event.occurredAt),
    'prov:endTime': isoMicros(event.occurredAt),
    'msi:receivedAt': dateTime(event.receivedAt),
    'msi:tenant': event.tenant,
    ...(location === '' ? {} : { 'prov:location': location }),
    ...(source === '' ? {} : { 'msi:source': source }),
    ...(destination === '' ? {} : { 'msi:destination': destination }),
    ...(event.toTenant === '' ? {} : { 'msi:toTenant': event.toTenant }),
    ...Object.fromEntries(event.attributes.map((a) => [`msi:attr.${a.key}`, a.value])),
  };
}
