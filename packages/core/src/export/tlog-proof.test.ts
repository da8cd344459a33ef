import { portableHasher, verifyInclusion } from '@msi/merkle';
import { describe, expect, it } from 'vitest';
import { parseCheckpointNote } from '../checkpoint/index.js';
import { encodeBase64 } from '../note/index.js';
import { buildWorld } from '../receipt/receipt-world.test-helper.js';
import { formatTlogProof, parseTlogProof, TLOG_PROOF_V1, tlogProofOfReceipt } from './tlog-proof.js';

const hasher = portableHasher();
const world = buildWorld([[2], [1, 1], [], [3]]);

describe('C2SP tlog-proof of a receipt', () => {
  it('writes the version, the round record as extra, the index, the proof, an empty line, the checkpoint', () => {
    const receipt = world.receipt(2);
    const text = formatTlogProof(tlogProofOfReceipt(receipt));
    const lines = text.split('\n');
    expect(lines[0]).toBe(TLOG_PROOF_V1);
    expect(lines[1]).toBe(`extra ${encodeBase64(receipt.round)}`);
    expect(lines[2]).toBe(`index ${world.roundOf(2)}`);
    expect(lines.slice(3, 3 + receipt.roundProof.hashes.length)).toEqual(
      receipt.roundProof.hashes.map(encodeBase64),
    );
    expect(text.endsWith(`\n\n${receipt.checkpoint}`)).toBe(true);
  });

  it('verifies as the spec says: the leaf hash of the entry at index, included in the checkpoint root', () => {
    for (let i = 0; i < world.eventCount; i++) {
      const proof = parseTlogProof(formatTlogProof(tlogProofOfReceipt(world.receipt(i))));
      const { checkpoint } = parseCheckpointNote(proof.checkpoint);
      const leaf = hasher.hashLeaf(proof.extra as Uint8Array);
      expect(() =>
        verifyInclusion(hasher, proof.index, checkpoint.size, leaf, proof.hashes, checkpoint.root),
      ).not.toThrow();
    }
  });

  it('refuses every other spelling, naming the line', () => {
    const text = formatTlogProof(tlogProofOfReceipt(world.receipt(0)));
    const index = `index ${world.roundOf(0)}`;
    for (const [mutated, line] of [
      [text.replace(TLOG_PROOF_V1, 'c2sp.org/tlog-proof@v2'), 'line 1'],
      [text.replace(index, `index 0${world.roundOf(0)}`), 'line 3'],
      [text.replace(index, 'index -1'), 'line 3'],
      [text.replaceAll('\n\n', '\n'), 'no empty line'],
      [text.replace(/\nindex /, '\nindex  '), 'line 3'],
      [text.replace(/(index [0-9]+\n)([A-Za-z0-9+/]{43}=)/, '$1$2$2'), 'line 4'],
      [text.replace(/\n\n[\s\S]*$/, '\n\nnot a checkpoint\n'), 'checkpoint'],
    ] as const) {
      expect(() => parseTlogProof(mutated), mutated).toThrow(
        expect.objectContaining({ code: 'TLOG_PROOF_MALFORMED' }),
      );
      expect(() => parseTlogProof(mutated)).toThrow(line);
    }
  });
});
