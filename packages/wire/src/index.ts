export { eventFromClient, type IngestStamp } from './event-from-client.js';
export { eventToProto } from './event-to-proto.js';
export { receiptFromProto, receiptToProto } from './receipt-proto.js';
export { WireError, type WireErrorCode } from './wire-error.js';
