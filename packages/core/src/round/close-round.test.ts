import { type MerkleHasher, MerkleTree, merkleRoot, portableHasher, verifyInclusion } from '@msi/merkle';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import rounds from '../../testdata/rounds.json' with { type: 'json' };
import seals from '../../testdata/seals.json' with { type: 'json' };
import { encodeSeal, type SealRecord } from '../seal/index.js';
import { type CloseRoundInput, closeRound, type RoundSeal } from './close-round.js';
import { encodeRound } from './round-codec.js';
import { RoundError, type RoundErrorCode } from './round-error.js';

const hasher = portableHasher();

/** The portable hasher, counting every hash it computes. */
function countingHasher(): { counting: MerkleHasher; calls: () => number } {
  let calls = 0;
  const count = <T>(result: T): T => {
    calls++;
    return result;
  };
  const counting: MerkleHasher = {
    name: 'counting',
    hashLeaf: (d) => count(hasher.hashLeaf(d)),
    hashChildren: (l, r) => count(hasher.hashChildren(l, r)),
    emptyRoot: () => count(hasher.emptyRoot()),
    hashLeaves: (leaves) => count(hasher.hashLeaves(leaves)),
    hashPairs: (level, n) => count(hasher.hashPairs(level, n)),
  };
  return { counting, calls: () => calls };
}

const sealOf = (name: string): RoundSeal => {
  const vector = seals.vectors.find((v) => v.name === name);
  if (vector === undefined) throw new Error(`no seal vector ${name}`);
  return {
    record: { ...vector.record, root: hexToBytes(vector.record.root) },
    bytes: hexToBytes(vector.bytes),
  };
};
const nameByBytes = new Map(seals.vectors.map((v) => [v.bytes, v.name]));
const names = (list: readonly RoundSeal[]): (string | undefined)[] =>
  list.map((s) => nameByBytes.get(bytesToHex(s.bytes)));

function failure(action: () => unknown): { code: RoundErrorCode; field: string } | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof RoundError) return { code: error.code, field: error.field };
    throw error;
  }
  return undefined;
}

describe('closeRound against testdata/rounds.json', () => {
  it.each(rounds.vectors)('$name', ({ input, orderedSeals, record, bytes }) => {
    const given = input.seals.map(sealOf);
    const closed = closeRound(hasher, { ...input, seals: given });
    expect({ ...closed.record, root: bytesToHex(closed.record.root) }).toEqual(record);
    expect(bytesToHex(encodeRound(closed.record))).toBe(bytes);
    expect(names(closed.orderedSeals)).toEqual(orderedSeals);
    // The root is MTH over the seal bytes in (shard, seal_number) order; each seal's proof verifies.
    const ordered = orderedSeals.map(sealOf);
    expect(bytesToHex(closed.record.root)).toBe(
      bytesToHex(
        merkleRoot(
          hasher,
          ordered.map((s) => s.bytes),
        ),
      ),
    );
    ordered.forEach((seal, i) => {
      verifyInclusion(
        hasher,
        i,
        closed.tree.size,
        hasher.hashLeaf(seal.bytes),
        closed.tree.inclusionProof(i),
        closed.record.root,
      );
    });
  });
});

describe('closeRound', () => {
  // One seal per stream message; max_received_at 100–400; a seal number above 2^32 on shard 4.
  const makeSeal = (shard: number, sealNumber: number, maxReceivedAt: number): RoundSeal => {
    const record: SealRecord = {
      shard,
      sealNumber,
      streamStart: sealNumber * 10,
      streamEnd: sealNumber * 10 + 1,
      leafCount: 1,
      maxReceivedAt,
      root: new Uint8Array(32).fill(shard + sealNumber),
    };
    return { record, bytes: encodeSeal(record) };
  };
  const s = [
    makeSeal(1, 7, 100),
    makeSeal(0, 10, 200),
    makeSeal(1, 5, 300),
    makeSeal(4, 2 ** 40, 400),
    makeSeal(1, 6, 150),
  ];
  const base: CloseRoundInput = {
    round: 3,
    closedAt: 1000,
    intervalMs: 500,
    sealsStart: 40,
    sealsEnd: 45,
    seals: s,
    previousClosedAt: 999,
  };

  it('orders seals by (shard, seal_number), numerically', () => {
    const { orderedSeals, tree, record } = closeRound(hasher, base);
    expect(orderedSeals.map((x) => [x.record.shard, x.record.sealNumber])).toEqual([
      [0, 10],
      [1, 5],
      [1, 6],
      [1, 7],
      [4, 2 ** 40],
    ]);
    expect(record.sealCount).toBe(5);
    expect(bytesToHex(record.root)).toBe(
      bytesToHex(
        MerkleTree.fromLeaves(
          hasher,
          orderedSeals.map((x) => x.bytes),
        ).root(),
      ),
    );
    expect(tree.size).toBe(5);
  });

  it('gives the same round for any order of the same seals', () => {
    const reversed = closeRound(hasher, { ...base, seals: [...s].reverse() });
    expect(bytesToHex(reversed.record.root)).toBe(bytesToHex(closeRound(hasher, base).record.root));
  });

  it('closes an empty round with root H("") (a heartbeat)', () => {
    const { record, tree, orderedSeals } = closeRound(hasher, { ...base, seals: [], sealsEnd: 40 });
    expect(record.sealCount).toBe(0);
    expect(bytesToHex(record.root)).toBe(bytesToHex(hasher.emptyRoot()));
    expect(tree.size).toBe(0);
    expect(orderedSeals).toEqual([]);
  });

  it('accepts closed_at equal to a seal’s max_received_at', () => {
    expect(() => closeRound(hasher, { ...base, closedAt: 400, previousClosedAt: 399 })).not.toThrow();
  });

  const tampered = { ...(s[2] as RoundSeal), bytes: (s[0] as RoundSeal).bytes };
  const cases: [string, Partial<CloseRoundInput>, RoundErrorCode, string][] = [
    ['round 0 with a previous closed_at', { round: 0 }, 'PREVIOUS_ROUND', 'previous_closed_at'],
    [
      'round 3 without a previous closed_at',
      { previousClosedAt: null },
      'PREVIOUS_ROUND',
      'previous_closed_at',
    ],
    ['closed_at equal to the previous', { previousClosedAt: 1000 }, 'CLOSED_AT_NOT_INCREASING', 'closed_at'],
    ['closed_at before the previous', { previousClosedAt: 2000 }, 'CLOSED_AT_NOT_INCREASING', 'closed_at'],
    [
      'closed_at before a seal’s max_received_at',
      { closedAt: 399, previousClosedAt: 1 },
      'CLOSED_BEFORE_SEAL',
      'closed_at',
    ],
    [
      'a duplicate (shard, seal_number)',
      { seals: [...s, makeSeal(1, 6, 150)], sealsEnd: 46 },
      'DUPLICATE_SEAL',
      'seals',
    ],
    [
      'a duplicate with other contents',
      { seals: [...s, makeSeal(0, 10, 1)], sealsEnd: 46 },
      'DUPLICATE_SEAL',
      'seals',
    ],
    [
      'bytes that are not the record’s',
      { seals: [s[0] as RoundSeal, s[1] as RoundSeal, tampered] },
      'SEAL_MISMATCH',
      'seals[2]',
    ],
    ['more seals than the range', { sealsEnd: 44 }, 'SEALS_RANGE', 'seal_count'],
    ['seals_end < seals_start', { sealsEnd: 39 }, 'SEALS_RANGE', 'seals_end'],
    ['no seals in a non-empty range', { seals: [] }, 'SEALS_RANGE', 'seal_count'],
    ['closed_at 0', { closedAt: 0, previousClosedAt: null, round: 0 }, 'TIME_INVALID', 'closed_at'],
    ['interval_ms 0', { intervalMs: 0 }, 'FIELD_RANGE', 'interval_ms'],
    ['a negative round', { round: -1 }, 'FIELD_RANGE', 'round'],
  ];
  it('hashes when the input is valid (the counter below works)', () => {
    const { counting, calls } = countingHasher();
    closeRound(counting, base);
    expect(calls()).toBeGreaterThan(0);
  });

  it.each(cases)('rejects %s, before any hashing', (_name, changes, code, field) => {
    const { counting, calls } = countingHasher();
    expect(failure(() => closeRound(counting, { ...base, ...changes }))).toEqual({ code, field });
    expect(calls()).toBe(0);
  });
});
