import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBase64 } from '../note/base64.js';
import { type Checkpoint, formatCheckpointBody, parseCheckpointBody } from './checkpoint-body.js';
import { CheckpointError } from './checkpoint-error.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../testdata/notes/${name}`, import.meta.url), 'utf8')) as T;

const c2sp = fixture<{ checkpoint: { note: string; origin: string; size: number; root: string } }>(
  'c2sp.json',
);
const msi = fixture<{ checkpoint: { origin: string; size: number; root: string; body: string } }>(
  'msi-vectors.json',
);
const formats = fixture<{ sumdb: { body: string } }>('transparency-dev-formats.json');

const ROOT = encodeBase64(new Uint8Array(32).fill(0xab));

function expectMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as CheckpointError).code).toBe('CHECKPOINT_MALFORMED');
    return;
  }
  throw new Error('expected CHECKPOINT_MALFORMED');
}

describe('parseCheckpointBody', () => {
  it('parses the C2SP tlog-checkpoint example body', () => {
    const body = c2sp.checkpoint.note.slice(0, c2sp.checkpoint.note.indexOf('\n\n') + 1);
    const checkpoint = parseCheckpointBody(body);
    expect(checkpoint.origin).toBe(c2sp.checkpoint.origin);
    expect(checkpoint.size).toBe(c2sp.checkpoint.size);
    expect(encodeBase64(checkpoint.root)).toBe(c2sp.checkpoint.root);
    expect(checkpoint.extensions).toEqual([]);
    expect(formatCheckpointBody(checkpoint)).toBe(body);
  });

  it('formats the MSI vector checkpoint to its exact body', () => {
    const { origin, size, root, body } = msi.checkpoint;
    const checkpoint: Checkpoint = {
      origin,
      size,
      root: Uint8Array.from(Buffer.from(root, 'base64')),
      extensions: [],
    };
    expect(formatCheckpointBody(checkpoint)).toBe(body);
    expect(parseCheckpointBody(body)).toEqual(checkpoint);
  });

  it('accepts size 0, the largest safe size and extension lines', () => {
    expect(parseCheckpointBody(`log\n0\n${ROOT}\n`).size).toBe(0);
    expect(parseCheckpointBody(`log\n9007199254740991\n${ROOT}\n`).size).toBe(2 ** 53 - 1);
    expect(parseCheckpointBody(`log\n1\n${ROOT}\next one\n— two\n`).extensions).toEqual(['ext one', '— two']);
  });

  it('refuses an origin with spaces, like the real sum.golang.org "go.sum database tree" (PROOFS.md §7)', () => {
    expectMalformed(() => parseCheckpointBody(formats.sumdb.body));
  });

  it.each([
    ['size with a leading zero', `log\n01\n${ROOT}\n`],
    ['size 00', `log\n00\n${ROOT}\n`],
    ['negative size', `log\n-1\n${ROOT}\n`],
    ['size with a plus', `log\n+1\n${ROOT}\n`],
    ['size with a space', `log\n 1\n${ROOT}\n`],
    ['size in exponent form', `log\n1e3\n${ROOT}\n`],
    ['fractional size', `log\n1.0\n${ROOT}\n`],
    ['size 2^53', `log\n9007199254740992\n${ROOT}\n`],
    ['huge size', `log\n${'9'.repeat(400)}\n${ROOT}\n`],
    ['empty size', `log\n\n${ROOT}\n`],
    ['root of 31 bytes', `log\n1\n${encodeBase64(new Uint8Array(31))}\n`],
    ['root of 33 bytes', `log\n1\n${encodeBase64(new Uint8Array(33))}\n`],
    ['root in hex', `log\n1\n${'ab'.repeat(32)}\n`],
    ['root without padding', `log\n1\n${ROOT.replace('=', '')}\n`],
    ['root with non-zero unused bits', `log\n1\n${ROOT.replace('s=', 't=')}\n`],
    ['root with a space', `log\n1\n ${ROOT}\n`],
    ['no root line', 'log\n1\n'],
    ['empty origin', `\n1\n${ROOT}\n`],
    ['origin with a space', `my log\n1\n${ROOT}\n`],
    ['origin with a plus', `my+log\n1\n${ROOT}\n`],
    ['origin with a no-break space', `my\u00a0log\n1\n${ROOT}\n`],
    ['an empty extension line', `log\n1\n${ROOT}\n\n`],
    ['an empty line between extensions', `log\n1\n${ROOT}\na\n\nb\n`],
    ['a carriage return', `log\r\n1\n${ROOT}\n`],
    ['a control character', `log\n1\n${ROOT}\nx\u0007\n`],
    ['no final newline', `log\n1\n${ROOT}`],
    ['a lone surrogate', `log\n1\n${ROOT}\n\ud800\n`],
  ])('rejects %s', (_, body) => {
    expectMalformed(() => parseCheckpointBody(body));
  });
});

describe('formatCheckpointBody', () => {
  const good: Checkpoint = { origin: 'log', size: 1, root: new Uint8Array(32), extensions: [] };

  it.each([
    ['a root of 31 bytes', { ...good, root: new Uint8Array(31) }],
    ['a negative size', { ...good, size: -1 }],
    ['a fractional size', { ...good, size: 1.5 }],
    ['NaN', { ...good, size: Number.NaN }],
    ['size 2^53', { ...good, size: 2 ** 53 }],
    ['an origin with a space', { ...good, origin: 'a b' }],
    ['an empty extension', { ...good, extensions: [''] }],
    ['an extension with a newline', { ...good, extensions: ['a\nb'] }],
  ])('refuses %s', (_, checkpoint) => {
    expectMalformed(() => formatCheckpointBody(checkpoint));
  });

  it('round-trips any valid checkpoint', () => {
    const name = fc.stringMatching(/^[a-z0-9./-]{1,20}$/);
    fc.assert(
      fc.property(
        name,
        fc.maxSafeNat(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.stringMatching(/^[ -~]{1,10}$/), { maxLength: 3 }),
        (origin, size, root, extensions) => {
          const checkpoint = { origin, size, root, extensions };
          expect(parseCheckpointBody(formatCheckpointBody(checkpoint))).toEqual(checkpoint);
        },
      ),
      { numRuns: 200 },
    );
  });
});
