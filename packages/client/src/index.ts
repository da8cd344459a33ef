// @msi/client: the SDK for emitters (README.md). Node >= 20. The verification part alone, which
// also runs in browsers, is `@msi/client/verify`.

export {
  formatImprint,
  formatUuid,
  type HashAlgorithm,
  type Imprint,
  parseImprintText,
  parseUuid,
} from '@msi/core';
export { AggregateWriter } from './aggregate-writer.js';
export type { AggregatedTicket, AnchoredTree } from './aggregator.js';
export type { TlsOptions } from './channel.js';
export {
  type ClientTransports,
  createClient,
  type EmitMode,
  type Emitted,
  type EmittedAggregated,
  type EmittedIndividual,
  MsiClient,
  type TemplateInput,
} from './client.js';
export { MsiClientError, type MsiClientErrorCode } from './client-error.js';
export type { ClientOptions, DeliveredReceipt } from './client-options.js';
export {
  type EndpointInput,
  type EventFields,
  type EventIdLike,
  type EventInput,
  Events,
  type ImprintLike,
  type ProcessFields,
  type TransferFields,
} from './event-input.js';
export { FileReceiptStore } from './file-receipt-store.js';
export { hashBytes, hashFile, hashStream } from './hashing.js';
export type { IngestTransport } from './ingest-transport.js';
export { MemoryReceiptStore } from './memory-receipt-store.js';
export type { ReceiptStore, SealedTree, StoredTree } from './receipt-store.js';
export type { RetryPolicy } from './retry-policy.js';
export type { DurableAck } from './submit-queue.js';
export { type BundleReceipt, TreeBundle } from './tree-bundle.js';
export type { ReceiptStream, VerifierTransport } from './verifier-transport.js';
export { writeTreeReceipts } from './write-receipts.js';
