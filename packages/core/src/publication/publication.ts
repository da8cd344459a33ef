import { type Checkpoint, CheckpointError, parseCheckpointNote } from '../checkpoint/index.js';
import { utf8Length } from '../encoding/index.js';
import { PublicationError } from './publication-error.js';

/** The first line of every publication v1. */
export const PUBLICATION_HEADER = 'MSI publication v1\n';

/** The largest publication text accepted, in bytes of UTF-8 (a note of 100 signatures fits). */
export const MAX_PUBLICATION_BYTES = 65_536;

/** The last second a publication time may name: 9999-12-31T23:59:59Z. */
export const MAX_PUBLICATION_TIME = 253_402_300_799;

/**
 * A publication: a log state (a signed checkpoint) printed at a time, meant to be copied elsewhere
 * (a newspaper, a web page) and trusted as a whole by whoever holds it, with no key.
 */
export interface Publication {
  /** When it was published, in seconds since the epoch. */
  readonly time: number;
  /** The checkpoint of the note: origin, size, root. */
  readonly checkpoint: Checkpoint;
  /** The signed checkpoint note it was made from, exactly as signed (signatures not checked here). */
  readonly note: string;
}

const VERSION_LINE = /^MSI publication v([0-9]+)\n/;
const TIME_LINE = /^time ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)\n\n/;

/**
 * The publication v1 text of `checkpointNote` at `time` (seconds since the epoch): the version line,
 * `time <RFC 3339 UTC to the second>`, an empty line, then the note unchanged. The note MUST be a
 * well-formed checkpoint note (`CHECKPOINT_MALFORMED`); `time` an integer in [0,
 * MAX_PUBLICATION_TIME] (`TIME_OUT_OF_RANGE`). Signatures are not checked.
 */
export function formatPublication(time: number, checkpointNote: string): string {
  const text = `${PUBLICATION_HEADER}time ${formatPublicationTime(time)}\n\n${checkpointNote}`;
  parsePublication(text);
  return text;
}

/**
 * Parses a publication text (hostile input: it comes from anywhere) strictly: exactly the bytes
 * {@link formatPublication} would write, so each publication has one accepted text. Throws
 * PublicationError. The note's signatures are NOT checked: a holder trusts the publication itself.
 */
export function parsePublication(text: string): Publication {
  // A UTF-16 code unit is at least one byte of UTF-8: a text too long in units is too long in bytes.
  const bytes = text.length > MAX_PUBLICATION_BYTES ? undefined : utf8Length(text);
  if (bytes === undefined || bytes > MAX_PUBLICATION_BYTES) {
    malformed(`publication is not UTF-8 text of at most ${MAX_PUBLICATION_BYTES} bytes`);
  }
  const version = VERSION_LINE.exec(text);
  if (version === null) malformed('publication does not start with "MSI publication v<N>\\n"');
  if (version[0] !== PUBLICATION_HEADER) {
    throw new PublicationError('UNSUPPORTED_VERSION', `publication version ${version[1]} is not 1`);
  }
  const rest = text.slice(PUBLICATION_HEADER.length);
  const timeLine = TIME_LINE.exec(rest);
  if (timeLine === null) malformed('no "time <YYYY-MM-DDThh:mm:ssZ>" line followed by an empty line');
  const time = parsePublicationTime(timeLine[1] ?? '');
  const note = rest.slice(timeLine[0].length);
  try {
    return { time, checkpoint: parseCheckpointNote(note).checkpoint, note };
  } catch (error: unknown) {
    if (error instanceof CheckpointError) {
      throw new PublicationError('CHECKPOINT_MALFORMED', error.message, { cause: error });
    }
    throw error;
  }
}

/** RFC 3339 UTC to the second, e.g. `2026-11-25T03:00:00Z`. Throws `TIME_OUT_OF_RANGE`. */
export function formatPublicationTime(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_PUBLICATION_TIME) {
    throw new PublicationError('TIME_OUT_OF_RANGE', `time ${seconds} is not a second in [0, 9999-12-31]`);
  }
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
}

/** The inverse of {@link formatPublicationTime}: only its exact output is accepted. */
function parsePublicationTime(text: string): number {
  const millis = Date.parse(text);
  const seconds = millis / 1000;
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_PUBLICATION_TIME) {
    throw new PublicationError('TIME_OUT_OF_RANGE', `time ${text} is not a valid second since 1970`);
  }
  // Date.parse rolls over impossible dates (02-30); the round trip refuses them.
  if (formatPublicationTime(seconds) !== text) {
    throw new PublicationError('TIME_OUT_OF_RANGE', `time ${text} is not a valid calendar date`);
  }
  return seconds;
}

function malformed(message: string): never {
  throw new PublicationError('PUBLICATION_MALFORMED', message);
}
