import { VerifierError } from './verifier-error.js';

/**
 * Keyset page tokens: the sort key of the last entry of a page, as base64url of its decimal parts
 * joined by ".". Opaque to callers; a token is only checked to be one this verifier could have given
 * (the right number of safe non-negative integers), so a forged one pages from where it says.
 */
export function pageToken(parts: readonly number[]): string {
  return Buffer.from(parts.join('.')).toString('base64url');
}

const PART = /^(0|[1-9][0-9]{0,15})$/;

/** The parts of a token from `pageToken` (`parts` of them), or INVALID_ARGUMENT naming `field`. */
export function readPageToken(field: string, token: string, parts: number): number[] {
  const refuse = (): never => {
    throw new VerifierError('INVALID_ARGUMENT', `${field}: not a token this verifier gave out`);
  };
  if (token.length > 128 || !/^[A-Za-z0-9_-]+$/.test(token)) refuse();
  const values = Buffer.from(token, 'base64url').toString('latin1').split('.');
  if (values.length !== parts || !values.every((v) => PART.test(v))) refuse();
  const numbers = values.map(Number);
  if (!numbers.every(Number.isSafeInteger)) refuse();
  return numbers;
}

/** A page size: 0 means `fallback`; more than `max` is INVALID_ARGUMENT naming `field`. */
export function pageSizeField(field: string, value: number, max: number, fallback = 100): number {
  if (value > max) throw new VerifierError('INVALID_ARGUMENT', `${field}: at most ${max} (got ${value})`);
  return value === 0 ? fallback : value;
}
