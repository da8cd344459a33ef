import { recordHeader } from '../encoding/index.js';
import type { EventClaims } from '../event/index.js';

/**
 * An event aggregated locally by a client (docs/PROOFS.md §12): the client's fields of a
 * data-transaction event, without the three ingest stamps on an individual event (`tenant`,
 * `submitter`, `received_at`). It takes those from the root event of its local tree, whose tenant and
 * submitter bind it. Its `nonce` is chosen by the client: 128 random bits that blind its leaf.
 */
export type AggregatedEvent = EventClaims;

/**
 * `"MSIA" || 0x01`: the header of aggregated event v1. Another magic than canonical event v1's
 * ("MSIE"), so that the bytes of one can never be read as the other.
 */
export const AGGREGATED_EVENT_HEADER = recordHeader('MSIA', 1);
