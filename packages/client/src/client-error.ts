/**
 * Why the client refused or gave up. A closed set: callers switch on `code`, never on messages.
 * Every code but INVALID_EVENT and INVALID_OPTIONS is about the client's state or the servers.
 */
export type MsiClientErrorCode =
  | 'INVALID_OPTIONS' // the options given to createClient break a rule (the message names the option)
  | 'INVALID_EVENT' // the event breaks a rule of docs/PROOFS.md §4 or of ingest (`field` names the field)
  | 'CLOSED' // emit (or flush) on a client that is closing or closed
  | 'QUEUE_FULL' // the bounded queue is full and the client was told to reject instead of waiting
  | 'UNAUTHENTICATED' // a server did not accept the credentials (API key or client certificate)
  | 'PERMISSION_DENIED' // the credential lacks the role (emitter for ingest, auditor for receipts)
  | 'TIMEOUT' // retried for `retry.giveUpMs` without becoming durable
  | 'UNAVAILABLE' // a server could not be reached or failed (retryable by calling again)
  | 'RECEIPT_INVALID' // a receipt a server delivered does not verify (its failure code is in the message)
  | 'NOT_AGGREGATED' // aggregation is not configured (no `aggregation` option)
  | 'NOT_ANCHORED' // a local tree's root event is not anchored yet: its receipts cannot be made
  | 'STORE_FAILED'; // the receipt store could not write or read

/** The one error of @msi/client. */
export class MsiClientError extends Error {
  override readonly name = 'MsiClientError';
  /**
   * @param field for INVALID_EVENT, the offending field as a snake_case path (`attributes[2].key`);
   *   for INVALID_OPTIONS, the option; empty otherwise.
   */
  constructor(
    readonly code: MsiClientErrorCode,
    message: string,
    readonly field = '',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
