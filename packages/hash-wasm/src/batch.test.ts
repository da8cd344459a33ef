import { createHash, randomBytes } from 'node:crypto';
import { portableHasher } from '@msi/merkle';
import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, hashMessages, hashNodePair, hashNodePairs, sha256 } from './batch.js';
import { Kernel } from './kernel.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const text = (s: string) => new TextEncoder().encode(s);
const nodeSha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

// Known-answer tests: FIPS 180-2 Appendix B (one-block "abc", the 448-bit two-block message, the
// million a's), the 896-bit message of the NIST CAVP examples, and the empty message.
const NIST: [string, Uint8Array, string][] = [
  ['empty', text(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['abc', text('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  [
    '448-bit',
    text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  ],
  [
    '896-bit',
    text(
      'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
    ),
    'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
  ],
  [
    'million a',
    new Uint8Array(1_000_000).fill(0x61),
    'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
  ],
];

describe.each(['simd', 'scalar'] as const)('%s kernel', (variant) => {
  const kernel = Kernel.loadSync(variant);
  const portable = portableHasher();

  it.each(NIST)('sha256 of the NIST %s message', (_name, message, digest) => {
    expect(hex(sha256(kernel, message))).toBe(digest);
  });

  it('hashes 0..4 and 5..9 equal messages in one batch (each SIMD lane, then the scalar rest)', () => {
    for (let count = 0; count <= 9; count++) {
      const messages = Array.from({ length: count }, (_, i) => text(`message ${i}`));
      const want = messages.map((m) => hex(nodeSha256(m))).join('');
      expect(hex(hashMessages(kernel, messages, 0))).toBe(want);
    }
  });

  it('splits batches larger than a chunk and keeps their order', () => {
    const count = CHUNK_BYTES / 64 + 5; // one-block messages: a full chunk and a partial one
    const messages = Array.from({ length: count }, (_, i) => text(`${i}`));
    const out = hashMessages(kernel, messages, 1);
    for (const i of [0, 1, Math.floor(count / 2), CHUNK_BYTES / 64 - 1, CHUNK_BYTES / 64, count - 1]) {
      const message = messages[i] ?? new Uint8Array(0);
      expect(hex(out.subarray(32 * i, 32 * i + 32))).toBe(hex(portable.hashLeaf(message)));
    }
  });

  it('hashes pairs across chunk boundaries', () => {
    const count = 2 * (CHUNK_BYTES / 64) + 7;
    const level = new Uint8Array(randomBytes(count * 32));
    expect(hex(hashNodePairs(kernel, level, count))).toBe(hex(portable.hashPairs(level, count)));
  });

  it('rejects levels shorter than count hashes and children that are not 32 bytes', () => {
    expect(() => hashNodePairs(kernel, new Uint8Array(63), 2)).toThrow(RangeError);
    expect(() => hashNodePairs(kernel, new Uint8Array(64), 1.5)).toThrow(RangeError);
    expect(() => hashNodePair(kernel, new Uint8Array(32), new Uint8Array(33))).toThrow(RangeError);
  });
});
