export {
  AggregateTemplate,
  type AggregateTemplateFields,
  TEMPLATE_ENTROPY_BYTES,
} from './aggregate-template.js';
export { AGGREGATED_EVENT_HEADER, type AggregatedEvent } from './aggregated-event.js';
export { aggregatedLeafHash, decodeAggregatedEvent } from './decode-aggregated-event.js';
export {
  AGGREGATE_ATTRIBUTE_PREFIX,
  AGGREGATE_FORMAT,
  AGGREGATE_FORMAT_KEY,
  AGGREGATE_LEAVES_KEY,
  type AggregateRoot,
  type RootEventFields,
  readRootEvent,
  rootEventFields,
} from './root-event.js';
export { RootEventError, type RootEventErrorCode } from './root-event-error.js';
export { validateAggregatedEvent } from './validate-aggregated-event.js';
export {
  aggregatedEventSize,
  encodeAggregatedEvent,
  MAX_AGGREGATED_EVENT_SIZE,
  writeAggregatedEvent,
} from './write-aggregated-event.js';
