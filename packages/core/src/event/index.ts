export {
  type Attribute,
  type DataEvent,
  type Endpoint,
  EVENT_KINDS,
  EVENT_LIMITS,
  type EventKind,
  isEventKind,
  kindCode,
  kindFromCode,
} from './data-event.js';
export { decodeEvent } from './decode-event.js';
export {
  encodeEvent,
  encodeValidatedEvent,
  encodeValidatedEvents,
  eventLeafHash,
  eventLeafHashes,
  sortAttributes,
  sortedAttributes,
} from './encode-event.js';
export { EventError, type EventErrorCode } from './event-error.js';
export { eventNamesImprint } from './event-names-imprint.js';
export { checkAttributeOrder, readAttribute, readEndpoint, readList } from './read-event-fields.js';
export { checkEventFields, type EventClaims, validateEvent } from './validate-event.js';
