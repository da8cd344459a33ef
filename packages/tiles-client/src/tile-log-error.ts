import { CodedError } from '@msi/core';

/**
 * Why a tile log could not be read. A closed set:
 * - URL_INVALID: the base given is not an http(s) URL;
 * - UNAVAILABLE: the log did not answer, answered an HTTP error, or lacks a file it must serve;
 * - MALFORMED: a file it served breaks the C2SP tlog-tiles format (size, tile width, checkpoint).
 * Nothing read is trusted either way: callers verify signatures and proofs.
 */
export type TileLogErrorCode = 'URL_INVALID' | 'UNAVAILABLE' | 'MALFORMED';

export class TileLogError extends CodedError<TileLogErrorCode> {}
