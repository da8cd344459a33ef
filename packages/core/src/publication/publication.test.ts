import { describe, expect, it } from 'vitest';
import { buildWorld, ORIGIN } from '../receipt/receipt-world.test-helper.js';
import {
  formatPublication,
  formatPublicationTime,
  MAX_PUBLICATION_BYTES,
  MAX_PUBLICATION_TIME,
  PUBLICATION_HEADER,
  parsePublication,
} from './publication.js';
import { PublicationError, type PublicationErrorCode } from './publication-error.js';

const world = buildWorld([[1], [2], [1]]);
const note = world.checkpointAt(3);
const TIME = 1_764_032_400; // 2025-11-25T01:00:00Z

function errorCode(run: () => unknown): PublicationErrorCode {
  try {
    run();
  } catch (error) {
    if (error instanceof PublicationError) return error.code;
    throw error;
  }
  throw new Error('expected the publication to be refused');
}

describe('formatPublication / parsePublication', () => {
  it('writes the versioned text form around the note, unchanged', () => {
    const text = formatPublication(TIME, note);
    expect(text).toBe(`${PUBLICATION_HEADER}time 2025-11-25T01:00:00Z\n\n${note}`);
  });

  it('round-trips', () => {
    for (const time of [0, TIME, MAX_PUBLICATION_TIME]) {
      const text = formatPublication(time, note);
      const publication = parsePublication(text);
      expect(publication.time).toBe(time);
      expect(publication.note).toBe(note);
      expect(publication.checkpoint).toMatchObject({ origin: ORIGIN, size: 3 });
      expect(formatPublication(publication.time, publication.note)).toBe(text);
    }
  });

  it('refuses times that are not whole seconds in range', () => {
    for (const time of [-1, 0.5, MAX_PUBLICATION_TIME + 1, Number.NaN]) {
      expect(errorCode(() => formatPublication(time, note))).toBe('TIME_OUT_OF_RANGE');
    }
    expect(formatPublicationTime(TIME)).toBe('2025-11-25T01:00:00Z');
  });

  it('refuses hostile headers with a closed code', () => {
    const body = `time 2025-11-25T01:00:00Z\n\n${note}`;
    const cases: [string, PublicationErrorCode][] = [
      [`MSI publication v2\n${body}`, 'UNSUPPORTED_VERSION'],
      [`MSI publication v01\n${body}`, 'UNSUPPORTED_VERSION'],
      [`msi publication v1\n${body}`, 'PUBLICATION_MALFORMED'],
      [`MSI publication v1\r\n${body}`, 'PUBLICATION_MALFORMED'],
      [`${PUBLICATION_HEADER}time 2025-11-25T01:00:00Z\n${note}`, 'PUBLICATION_MALFORMED'],
      [`${PUBLICATION_HEADER}time 2025-11-25T01:00:00.000Z\n\n${note}`, 'PUBLICATION_MALFORMED'],
      [`${PUBLICATION_HEADER}time 2025-11-25 01:00:00Z\n\n${note}`, 'PUBLICATION_MALFORMED'],
      [`${PUBLICATION_HEADER}time  2025-11-25T01:00:00Z\n\n${note}`, 'PUBLICATION_MALFORMED'],
      [`${PUBLICATION_HEADER}time 2025-02-30T01:00:00Z\n\n${note}`, 'TIME_OUT_OF_RANGE'],
      [`${PUBLICATION_HEADER}time 2025-11-25T24:00:00Z\n\n${note}`, 'TIME_OUT_OF_RANGE'],
      [`${PUBLICATION_HEADER}time 1969-12-31T23:59:59Z\n\n${note}`, 'TIME_OUT_OF_RANGE'],
      [`${PUBLICATION_HEADER}${body}\n`, 'CHECKPOINT_MALFORMED'],
      [`${PUBLICATION_HEADER}time 2025-11-25T01:00:00Z\n\n\n${note}`, 'CHECKPOINT_MALFORMED'],
      [`${PUBLICATION_HEADER}time 2025-11-25T01:00:00Z\n\n`, 'CHECKPOINT_MALFORMED'],
      [`${PUBLICATION_HEADER}${body}`.repeat(200), 'PUBLICATION_MALFORMED'],
      ['', 'PUBLICATION_MALFORMED'],
    ];
    for (const [text, code] of cases) expect(errorCode(() => parsePublication(text))).toBe(code);
  });

  it('counts the 65 536 limit in bytes of UTF-8, not in characters', () => {
    // The note with an extension line (signed with the body; not checked when parsing).
    const withExtension = (line: string): string => {
      const lines = note.split('\n');
      lines.splice(3, 0, line);
      return `${PUBLICATION_HEADER}time 2025-11-25T01:00:00Z\n\n${lines.join('\n')}`;
    };
    const room = MAX_PUBLICATION_BYTES - (new TextEncoder().encode(withExtension('a')).length - 1);
    const line = `${'é'.repeat(Math.floor(room / 2))}${'a'.repeat(room % 2)}`;
    const atLimit = withExtension(line);
    expect(new TextEncoder().encode(atLimit).length).toBe(MAX_PUBLICATION_BYTES);
    expect(parsePublication(atLimit).checkpoint.extensions).toEqual([line]);
    const over = withExtension(`${line}a`);
    expect(over.length).toBeLessThan(MAX_PUBLICATION_BYTES / 2 + 1000); // few characters, many bytes
    expect(errorCode(() => parsePublication(over))).toBe('PUBLICATION_MALFORMED');
    expect(errorCode(() => parsePublication(withExtension('\ud800')))).toBe('PUBLICATION_MALFORMED');
  });

  it('refuses to format a note that is not a checkpoint', () => {
    expect(errorCode(() => formatPublication(TIME, 'not a note\n'))).toBe('CHECKPOINT_MALFORMED');
  });
});
