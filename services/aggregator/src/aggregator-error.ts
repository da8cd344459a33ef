import { CodedError } from '@msi/core';

/** Why the aggregator stopped working on a shard or refused a message from the bus. */
export type AggregatorErrorCode =
  | 'SEAL_MESSAGE_MALFORMED' // a ShardSealed on the seals subject does not decode (corrupt or hostile)
  | 'FENCED' // another owner published a seal first: this process no longer owns the shard
  | 'LEASE_EXPIRED'; // the shard's lease ran out (by this process's clock) before a seal was published

/** The one error class of the aggregator; `shard` names the shard concerned. */
export class AggregatorError extends CodedError<AggregatorErrorCode> {
  override readonly name = 'AggregatorError';
  constructor(
    code: AggregatorErrorCode,
    readonly shard: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}
