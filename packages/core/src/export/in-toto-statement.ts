import { parseCheckpointNote } from '../checkpoint/index.js';
import { type DataEvent, decodeEvent } from '../event/index.js';
import { formatImprint, type Imprint } from '../imprint/index.js';
import { encodeBase64 } from '../note/index.js';
import { type Receipt, receiptToJson } from '../receipt/index.js';
import { readRound } from '../round/index.js';
import { formatUuid } from '../uuid/index.js';
import { digestSet, endpointText, isoMicros } from './export-text.js';

/** The in-toto Statement type of version 1. */
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
/** The predicate type of an MSI receipt statement, version 1 (docs/PROOFS.md §15). */
export const MSI_RECEIPT_PREDICATE_V1 = 'https://msi.dev/attestation/receipt/v1';

/** An in-toto Statement v1 (unsigned: the MSI receipt it carries is the proof). */
export interface InTotoStatement {
  readonly _type: typeof IN_TOTO_STATEMENT_V1;
  readonly subject: readonly { readonly name: string; readonly digest: Record<string, string> }[];
  readonly predicateType: typeof MSI_RECEIPT_PREDICATE_V1;
  readonly predicate: Record<string, unknown>;
}

/**
 * An in-toto Statement v1 about the data of a receipt's event (docs/PROOFS.md §15): the subjects are
 * the event's data imprint and, for a PROCESS, its outputs (each once, named by its imprint text);
 * the predicate (type MSI_RECEIPT_PREDICATE_V1) is the event as read from the receipt, where it was
 * anchored, and the receipt v1 itself, which `msi verify` checks. Pure; the receipt is decoded, not
 * verified: verify it first.
 */
export function receiptStatement(receipt: Receipt): InTotoStatement {
  const event = decodeEvent(receipt.event);
  const round = readRound(receipt.round);
  const { checkpoint } = parseCheckpointNote(receipt.checkpoint);
  const subjects = new Map<string, Imprint>();
  for (const imprint of [event.data, ...(event.kind === 'PROCESS' ? event.outputs : [])]) {
    subjects.set(formatImprint(imprint), imprint);
  }
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [...subjects].map(([name, imprint]) => ({ name, digest: digestSet(imprint) })),
    predicateType: MSI_RECEIPT_PREDICATE_V1,
    predicate: {
      event: eventPredicate(event),
      anchor: {
        round: round.round,
        closedAt: isoMicros(round.closedAt),
        log: checkpoint.origin,
        treeSize: checkpoint.size,
        rootHash: encodeBase64(checkpoint.root),
      },
      receipt: JSON.parse(receiptToJson(receipt)) as unknown,
    },
  };
}

/** The event's fields as the predicate carries them (empty optional fields left out). */
export function eventPredicate(event: DataEvent): Record<string, unknown> {
  return {
    id: formatUuid(event.eventId),
    kind: event.kind,
    tenant: event.tenant,
    actor: event.actor,
    submitter: event.submitter,
    occurredAt: isoMicros(event.occurredAt),
    receivedAt: isoMicros(event.receivedAt),
    data: formatImprint(event.data),
    ...(event.inputs.length === 0 ? {} : { inputs: event.inputs.map(formatImprint) }),
    ...(event.outputs.length === 0 ? {} : { outputs: event.outputs.map(formatImprint) }),
    ...(event.toTenant === '' ? {} : { toTenant: event.toTenant }),
    ...(endpointText(event.source) === '' ? {} : { source: endpointText(event.source) }),
    ...(endpointText(event.destination) === '' ? {} : { destination: endpointText(event.destination) }),
    ...(event.parents.length === 0 ? {} : { parents: event.parents.map(formatUuid) }),
    ...(event.attributes.length === 0
      ? {}
      : { attributes: Object.fromEntries(event.attributes.map((a) => [a.key, a.value])) }),
  };
}
