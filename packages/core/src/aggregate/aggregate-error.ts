/** Why a local tree's root event is not what an aggregated receipt needs (docs/PROOFS.md §12). */
export type AggregateErrorCode = 'ROOT_EVENT_INVALID'; // not a root event of aggregate format 1

/** The one error of the aggregate rules. */
export class AggregateError extends Error {
  override readonly name = 'AggregateError';
  constructor(
    readonly code: AggregateErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
