/**
 * The one shape of an error in MSI: a `code` from the area's closed union (callers switch on it,
 * never on the message), a message for people, and the `cause` it wraps, if any. Each area has one
 * class extending it (NoteError, ReceiptError, IngestError…); a service maps its codes to gRPC status
 * in one table at its edge (@msi/service-kit errorStatus).
 */
export class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
