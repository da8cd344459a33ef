import { CodedError } from '../error/coded-error.js';

/**
 * Why a stored follower state or compact range cannot be restored. A rule a round breaks is not an
 * error but a FollowViolation.
 */
export type FollowerErrorCode = 'STATE_MALFORMED';

/** The one error of the calendar-follower area. */
export class FollowerError extends CodedError<FollowerErrorCode> {
  override readonly name = 'FollowerError';
}
