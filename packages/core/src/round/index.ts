export { type ClosedRound, type CloseRoundInput, closeRound, type RoundSeal } from './close-round.js';
export { decodeRound, encodeRound, ROUND_RECORD_SIZE, readRound, roundLeafHash } from './round-codec.js';
export { RoundError, type RoundErrorCode } from './round-error.js';
export { EMPTY_ROUND_ROOT, type RoundRecord, validateRound } from './round-record.js';
