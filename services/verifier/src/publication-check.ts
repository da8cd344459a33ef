import {
  type Ed25519Verifier,
  type NoteVerifierKey,
  type Publication,
  PublicationError,
  parsePublication,
} from '@msi/core';
import type { CheckResult } from './checks.js';
import { checkCosigned } from './cosigned.js';

/** A publication the projection checked and keeps. */
export interface CheckedPublication {
  /** Its time, seconds since the epoch. */
  readonly time: number;
  /** The calendar size of its checkpoint. */
  readonly size: number;
  /** The text exactly as published. */
  readonly text: string;
}

/** A publication text from the publications stream (hostile input), parsed strictly (publication v1). */
export function readPublication(text: string): CheckResult<Publication> {
  try {
    return { ok: true, value: parsePublication(text) };
  } catch (error: unknown) {
    if (error instanceof PublicationError)
      return { ok: false, detail: `publication: ${error.code}: ${error.message}` };
    throw error;
  }
}

/**
 * Checks a parsed publication against `verifiedNote`, the checkpoint of its size the projection
 * verified (undefined when there is none):
 *
 * - its note passes checkCosigned: the body byte-identical to the verified checkpoint's (a different
 *   one is a fork), the calendar's signature verifying with the trusted key;
 * - no line of a configured witness key fails to verify: a publication is served as a whole text, so
 *   a bad line cannot be dropped from it as it is from a cosigned checkpoint.
 */
export function checkPublication(
  publication: Publication,
  text: string,
  verifiedNote: string | undefined,
  keys: {
    readonly calendarKey: NoteVerifierKey;
    readonly witnessKeys: readonly NoteVerifierKey[];
    readonly ed25519: Ed25519Verifier;
  },
): CheckResult<CheckedPublication> {
  const size = publication.checkpoint.size;
  const at = `publication at ${publication.time} (size ${size})`;
  const checked = checkCosigned(
    size,
    publication.note,
    verifiedNote,
    keys.calendarKey,
    keys.witnessKeys,
    keys.ed25519,
  );
  if (!checked.ok) return { ok: false, detail: `${at}: ${checked.detail}` };
  if (checked.value.dropped > 0) {
    return {
      ok: false,
      detail: `${at}: ${checked.value.dropped} cosignature line(s) of configured witnesses do not verify`,
    };
  }
  return { ok: true, value: { time: publication.time, size, text } };
}
