import { recordHeader } from '../encoding/index.js';

/** `"MSIE" || 0x01`: the header of canonical event v1 (docs/PROOFS.md §4). */
export const EVENT_HEADER = recordHeader('MSIE', 1);
