import { CodedError } from '../error/coded-error.js';

/**
 * Why a shard map change was refused. VERSION_CONFLICT: the map is not at the version the change was
 * made from (another change won the compare-and-set); COUNT_INVALID: the requested active count is out
 * of range; UNCHANGED: the map already has that count; MAP_MALFORMED: a stored map breaks an invariant.
 */
export type ShardMapErrorCode = 'VERSION_CONFLICT' | 'COUNT_INVALID' | 'UNCHANGED' | 'MAP_MALFORMED';

export class ShardMapError extends CodedError<ShardMapErrorCode> {}
