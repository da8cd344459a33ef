/** Why an event is not the root event of a local tree (docs/PROOFS.md §12). */
export type RootEventErrorCode = 'ROOT_EVENT_INVALID'; // not a root event of aggregate format 1

/** The one error of the root-event rules. */
export class RootEventError extends Error {
  override readonly name = 'RootEventError';
  constructor(
    readonly code: RootEventErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
