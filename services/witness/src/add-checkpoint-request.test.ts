import { randomBytes } from 'node:crypto';
import { encodeBase64 } from '@msi/core';
import { formatAddCheckpointRequest, MAX_PROOF_LINES } from '@msi/witness-client';
import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES, parseAddCheckpointRequest } from './add-checkpoint-request.js';
import { TestLog } from './fixtures.test-helper.js';
import { WitnessError } from './witness-error.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const log = TestLog.create('example.org/log').append(13);
const note = log.checkpoint();
const hash = encodeBase64(new Uint8Array(32).fill(7));

function expectMalformed(body: string | Uint8Array): void {
  try {
    parseAddCheckpointRequest(typeof body === 'string' ? utf8(body) : body);
  } catch (e) {
    expect(e).toBeInstanceOf(WitnessError);
    expect((e as WitnessError).code).toBe('REQUEST_MALFORMED');
    return;
  }
  throw new Error('expected REQUEST_MALFORMED');
}

describe('parseAddCheckpointRequest', () => {
  it('round-trips a request with a proof', () => {
    const request = log.request(5);
    const parsed = parseAddCheckpointRequest(utf8(formatAddCheckpointRequest(request)));
    expect(parsed.oldSize).toBe(5);
    expect(parsed.proof).toEqual(request.proof);
    expect(parsed.checkpoint).toBe(note);
  });

  it('accepts old 0 with an empty proof, and the largest safe old size', () => {
    expect(parseAddCheckpointRequest(utf8(`old 0\n\n${note}`))).toEqual({
      oldSize: 0,
      proof: [],
      checkpoint: note,
    });
    expect(parseAddCheckpointRequest(utf8(`old 9007199254740991\n\n${note}`)).oldSize).toBe(2 ** 53 - 1);
  });

  it(`accepts ${MAX_PROOF_LINES} proof lines`, () => {
    const body = `old 1\n${`${hash}\n`.repeat(MAX_PROOF_LINES)}\n${note}`;
    expect(parseAddCheckpointRequest(utf8(body)).proof).toHaveLength(MAX_PROOF_LINES);
  });

  it.each([
    ['an empty body', ''],
    ['no empty line', `old 0\n${note.replace('\n\n', '\n')}`],
    ['no old line', `\n${note}`],
    ['old with a leading zero', `old 01\n\n${note}`],
    ['negative old', `old -1\n\n${note}`],
    ['old with two spaces', `old  1\n\n${note}`],
    ['OLD in capitals', `OLD 1\n\n${note}`],
    ['old above 2^53 - 1', `old 9007199254740992\n\n${note}`],
    ['old with a carriage return', `old 1\r\n\n${note}`],
    ['a proof line of 31 bytes', `old 1\n${encodeBase64(new Uint8Array(31))}\n\n${note}`],
    ['a proof line in hex', `old 1\n${'ab'.repeat(32)}\n\n${note}`],
    ['a proof line without padding', `old 1\n${hash.replace('=', '')}\n\n${note}`],
    ['a proof line with a space', `old 1\n ${hash}\n\n${note}`],
    [`${MAX_PROOF_LINES + 1} proof lines`, `old 1\n${`${hash}\n`.repeat(MAX_PROOF_LINES + 1)}\n${note}`],
    ['no checkpoint', 'old 0\n\n'],
  ])('rejects %s', (_, body) => {
    expectMalformed(body);
  });

  it('rejects invalid UTF-8 and an oversized body', () => {
    expectMalformed(Uint8Array.of(...utf8('old 0\n\n'), 0xff, 0xfe));
    expectMalformed(randomBytes(MAX_REQUEST_BYTES + 1));
  });
});
