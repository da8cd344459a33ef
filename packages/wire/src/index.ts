export {
  alertJsonOf,
  CATEGORY_NAMES,
  type CategoryName,
  categoryName,
  categoryToProto,
  eventIdText,
  SEVERITY_NAMES,
  type SeverityName,
  STATUS_NAMES,
  type StatusName,
  severityName,
  severityToProto,
  statusName,
  statusToProto,
} from './alert-json.js';
export { asBuffer } from './as-buffer.js';
export { eventFromClient, type IngestStamp } from './event-from-client.js';
export { eventToProto } from './event-to-proto.js';
export {
  joinReceiptParts,
  receiptAnchorToProto,
  receiptEventToProto,
  receiptFromProto,
  receiptToProto,
} from './receipt-proto.js';
export { reusedWriterSerializer } from './reused-writer-serializer.js';
export { WireError, type WireErrorCode } from './wire-error.js';
