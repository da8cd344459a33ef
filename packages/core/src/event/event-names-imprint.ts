import { type Imprint, imprintEquals } from '../imprint/index.js';
import type { DataEvent } from './data-event.js';

/**
 * Whether `event` names `data` in every role a chain of custody lists for it: `roles` is the
 * verifier's GetHistory role, "data", "input" or "output", several joined with commas (an event
 * naming the item as its data and as an output is `data,output`). An unknown role is false. The
 * check every reader of a history applies to a verified row (the CLI's `msi history`, the console).
 */
export function eventNamesImprint(event: DataEvent, roles: string, data: Imprint): boolean {
  const listed = roles.split(',');
  return listed.length > 0 && listed.every((role) => namesImprintAs(event, role, data));
}

function namesImprintAs(event: DataEvent, role: string, data: Imprint): boolean {
  switch (role) {
    case 'data':
      return imprintEquals(event.data, data);
    case 'input':
      return event.inputs.some((i) => imprintEquals(i, data));
    case 'output':
      return event.outputs.some((i) => imprintEquals(i, data));
    default:
      return false;
  }
}
