import { bytesEqual } from '../encoding/index.js';
import { checkEventFields, EventError } from '../event/index.js';
import type { AggregatedEvent } from './aggregated-event.js';

/**
 * Checks every rule of aggregated event v1 (docs/PROOFS.md §12) in field order: the rules of §4 for
 * each field it has, and that no parent is the event itself. Throws EventError naming the field.
 */
export function validateAggregatedEvent(event: AggregatedEvent): void {
  checkEventFields(event, undefined);
  checkNotOwnParent(event.eventId, event.parents);
}

/** An event cannot follow from itself (a rule of the format here, of ingest only in §4). */
export function checkNotOwnParent(eventId: Uint8Array, parents: readonly Uint8Array[]): void {
  for (let i = 0; i < parents.length; i++) {
    if (bytesEqual(parents[i] as Uint8Array, eventId)) {
      throw new EventError('DUPLICATE', `parents[${i}]`, `parents[${i}]: is the event's own id`);
    }
  }
}
