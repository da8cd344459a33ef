import { createHash } from 'node:crypto';
import { createWasmHasherSync } from '@msi/hash-wasm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256EachByNode, shardOf, shardsOf } from './shard-of.js';

/** The rule written out from docs/architecture/ingest.md, independently of the implementation. */
function reference(tenant: string, imprint: Uint8Array, shards: number): number {
  const input = Buffer.concat([Buffer.from(tenant, 'utf8'), Buffer.from([0]), Buffer.from(imprint)]);
  const digest = createHash('sha256').update(input).digest();
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = digest;
  return (b0 * 2 ** 24 + b1 * 2 ** 16 + b2 * 2 ** 8 + b3) % shards;
}

describe('shardOf', () => {
  it('matches a known answer', () => {
    // `printf 'acme\x00\x01' ; head -c 32 /dev/zero` | openssl dgst -sha256 → e995df4c…,
    // and 0xe995df4c = 3918913356.
    const imprint = new Uint8Array(33);
    imprint[0] = 1;
    expect(shardOf('acme', imprint, 4)).toBe(3918913356 % 4);
    expect(shardOf('acme', imprint, 16)).toBe(12);
    expect(shardOf('acme', imprint, 1000)).toBe(356);
    expect(shardOf('acme', imprint, 1)).toBe(0);
  });

  it('agrees with the reference rule and stays in range', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/),
        fc.uint8Array({ minLength: 21, maxLength: 65 }),
        fc.integer({ min: 1, max: 4096 }),
        (tenant, imprint, shards) => {
          const shard = shardOf(tenant, imprint, shards);
          expect(shard).toBe(reference(tenant, imprint, shards));
          expect(shard).toBeGreaterThanOrEqual(0);
          expect(shard).toBeLessThan(shards);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives every imprint of a request the same shard with a batch kernel as one at a time', () => {
    const wasm = createWasmHasherSync();
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,40}$/),
        // Imprints of several lengths in one request: the kernel groups messages by block count.
        fc.array(fc.uint8Array({ minLength: 21, maxLength: 129 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 4096 }),
        (tenant, imprints, shards) => {
          const one = imprints.map((imprint) => reference(tenant, imprint, shards));
          expect(shardsOf(tenant, imprints, shards, (m) => wasm.sha256Many(m))).toEqual(one);
          expect(shardsOf(tenant, imprints, shards, sha256EachByNode)).toEqual(one);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('separates the tenant from the imprint', () => {
    // "ab" || 00 || X and "a" || 00 || "b"... cannot be confused: the separator is fixed in place.
    const imprint = new Uint8Array([1, ...new Uint8Array(32).fill(9)]);
    const spread = new Set(
      ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8'].map((t) => shardOf(t, imprint, 64)),
    );
    expect(spread.size).toBeGreaterThan(1);
  });

  it('refuses a shard count out of range', () => {
    expect(() => shardOf('a', new Uint8Array(33), 0)).toThrow(RangeError);
    expect(() => shardOf('a', new Uint8Array(33), 1.5)).toThrow(RangeError);
  });
});
