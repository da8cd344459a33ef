import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCheckpointNote } from '../checkpoint/index.js';
import { parseVerifierKey, portableEd25519 } from '../note/index.js';
import { buildWorld, hasher, logKey } from '../receipt/receipt-world.test-helper.js';
import { coseReceiptOf } from './cose-receipt.js';
import { signCoseTreeHead } from './cose-tree-head.js';
import { ScittError } from './scitt-error.js';
import { verifyCoseReceipt } from './verify-cose-receipt.js';

interface Vectors {
  readonly logKey: string;
  readonly treeHead: string;
  readonly valid: readonly { name: string; event: number; size: number; cose: string }[];
  readonly invalid: readonly { name: string; cose: string; code: string }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../testdata/scitt/vectors.json', import.meta.url), 'utf8'),
) as Vectors;
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const trust = { logKeys: [parseVerifierKey(vectors.logKey)] };
const crypto = { hasher, ed25519: portableEd25519() };
const world = buildWorld([[2], [1, 1], [], [3]]);

describe('COSE receipt vectors (testdata/scitt)', () => {
  it.each(vectors.valid)('$name verifies and is what the encoder writes', ({ event, size, cose }) => {
    expect(verifyCoseReceipt(bytes(cose), trust, crypto).size).toBe(size);
    const treeHead = signCoseTreeHead(
      logKey.signer,
      parseCheckpointNote(world.checkpointAt(size)).checkpoint,
    );
    expect(Buffer.from(treeHead).toString('hex')).toBe(vectors.treeHead);
    expect(Buffer.from(coseReceiptOf(world.receipt(event, size), treeHead)).toString('hex')).toBe(cose);
  });

  it.each(vectors.invalid)('$name fails with $code', ({ cose, code }) => {
    let failure: unknown;
    try {
      verifyCoseReceipt(bytes(cose), trust, crypto);
    } catch (error: unknown) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ScittError);
    expect((failure as ScittError).code).toBe(code);
  });
});
