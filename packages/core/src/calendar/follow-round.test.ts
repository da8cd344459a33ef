import { CompactRange, merkleRoot, portableHasher } from '@msi/merkle';
import { describe, expect, it } from 'vitest';
import { signCheckpoint } from '../checkpoint/index.js';
import { ByteWriter, writeHeader } from '../encoding/index.js';
import { generateNoteKey, verifierKeyOf } from '../note/index.js';
import { closeRound, type RoundRecord, type RoundSeal, roundLeafHash } from '../round/index.js';
import { ROUND_HEADER } from '../round/round-record.js';
import { encodeSeal } from '../seal/index.js';
import type { AnchoredRound } from './extend-follower.js';
import { followRound } from './follow-round.js';
import type { FollowViolationCode } from './follow-violation.js';
import { checkFollowerCheckpoint } from './follower-checkpoint.js';
import { emptyFollowerState, FIRST_SEAL_SEQUENCE, type FollowerState } from './follower-state.js';

const hasher = portableHasher();
const ORIGIN = 'calendar.test';
const key = generateNoteKey(ORIGIN, new Uint8Array(32).fill(7));
const sameNameOtherKey = generateNoteKey(ORIGIN, new Uint8Array(32).fill(8));
const trust = { logKey: verifierKeyOf(key.signer) };
const T0 = 1_750_000_000_000_000;

/** A seal record (its root a fill byte) received at `maxReceivedAt`. */
function seal(shard: number, sealNumber: number, maxReceivedAt: number): RoundSeal {
  const record = {
    shard,
    sealNumber,
    streamStart: sealNumber * 10 + 1,
    streamEnd: sealNumber * 10 + 3,
    leafCount: 2,
    maxReceivedAt,
    root: new Uint8Array(32).fill(shard * 16 + sealNumber),
  };
  return { record, bytes: encodeSeal(record) };
}

/** Round record v1 bytes WITHOUT validateRound (encodeRound would refuse the broken ones). */
function rawRound(r: RoundRecord): Uint8Array {
  const w = new ByteWriter(77);
  writeHeader(w, ROUND_HEADER);
  w.u64(r.round).time(r.closedAt).u32(r.intervalMs);
  w.u64(r.sealsStart).u64(r.sealsEnd).u32(r.sealCount).bytes(r.root, 32);
  return w.finish();
}

function checkpointOf(range: CompactRange, signer = key.signer, origin = ORIGIN): string {
  return signCheckpoint({ origin, size: range.size, root: range.root(), extensions: [] }, signer);
}

/*
 * The honest calendar, as the calendar service closes it (core closeRound), seals_start of round 0
 * at FIRST_SEAL_SEQUENCE:
 *
 *   round 0: seals (0,0) (1,0) · round 1: empty · round 2: seals (0,1) (2,0) · round 3: empty
 */
const sealsPerRound = [
  [seal(1, 0, T0 - 5), seal(0, 0, T0 - 9)],
  [],
  [seal(2, 0, T0 + 1_500_000), seal(0, 1, T0 + 1_200_000)],
  [],
];
const honest = (() => {
  const records: RoundRecord[] = [];
  const messages: AnchoredRound[] = [];
  const range = new CompactRange(hasher);
  let sealsStart = FIRST_SEAL_SEQUENCE;
  for (const [k, seals] of sealsPerRound.entries()) {
    const closed = closeRound(hasher, {
      round: k,
      closedAt: T0 + k * 1_000_000,
      intervalMs: 1000,
      sealsStart,
      sealsEnd: seals.length === 0 ? sealsStart : sealsStart + seals.length + 1, // + a skipped message
      seals,
      previousClosedAt: k === 0 ? null : T0 + (k - 1) * 1_000_000,
    });
    const bytes = rawRound(closed.record);
    range.append(roundLeafHash(hasher, bytes));
    records.push(closed.record);
    messages.push({
      round: bytes,
      checkpoint: checkpointOf(range),
      seals: closed.orderedSeals.map((s) => s.bytes),
    });
    sealsStart = closed.record.sealsEnd;
  }
  return { records, messages };
})();

/** Follows `messages` from the empty state, requiring each to extend it without a violation. */
function followAll(messages: readonly AnchoredRound[], from = emptyFollowerState(hasher)): FollowerState {
  let state = from;
  for (const message of messages) {
    const followed = followRound(hasher, state, message, trust);
    expect(followed.violations).toEqual([]);
    state = followed.state;
  }
  return state;
}

const before2 = followAll(honest.messages.slice(0, 2));
const honest2 = honest.records[2] as RoundRecord;
const honestSeals2 = (honest.messages[2] as AnchoredRound).seals;

interface Crafted {
  readonly record?: Partial<RoundRecord>;
  readonly seals?: readonly Uint8Array[];
  /** The checkpoint for the range after the crafted leaf (default: correctly signed, consistent). */
  readonly checkpoint?: (after: CompactRange) => string;
  readonly state?: FollowerState;
}

/** Round 2 with `change` applied, its checkpoint signed over the crafted leaf by the calendar key. */
function craft(change: Crafted): { state: FollowerState; message: AnchoredRound; record: RoundRecord } {
  const state = change.state ?? before2;
  const record = { ...honest2, ...change.record };
  const bytes = rawRound(record);
  const after = state.range.clone();
  after.append(roundLeafHash(hasher, bytes));
  const checkpoint = (change.checkpoint ?? ((r) => checkpointOf(r)))(after);
  return { state, record, message: { round: bytes, checkpoint, seals: change.seals ?? honestSeals2 } };
}

const rootOf = (seals: readonly Uint8Array[]) => merkleRoot(hasher, seals);
const [a, b] = honestSeals2 as [Uint8Array, Uint8Array];
const late = seal(3, 0, honest2.closedAt + 1).bytes;

// Every rule a follower judges: a round of the honest calendar, correctly signed, breaking just that one.
const followedCases: [FollowViolationCode, Crafted][] = [
  [
    'ROUND_INVALID',
    { record: { sealsEnd: honest2.sealsStart - 1, sealCount: 0, root: rootOf([]) }, seals: [] },
  ],
  ['INTERVAL_CHANGED', { record: { intervalMs: 2000 } }],
  [
    'CLOSED_AT_NOT_INCREASING',
    {
      record: { closedAt: T0 + 1_000_000, sealsEnd: honest2.sealsStart, sealCount: 0, root: rootOf([]) },
      seals: [],
    },
  ],
  ['SEALS_START', { record: { sealsStart: honest2.sealsStart + 1 } }],
  ['SEAL_COUNT', { record: { sealCount: 2, root: rootOf([a]) }, seals: [a] }],
  ['SEAL_MALFORMED', { record: { root: rootOf([a, b.subarray(1)]) }, seals: [a, b.subarray(1)] }],
  ['SEALS_ORDER', { record: { root: rootOf([b, a]) }, seals: [b, a] }],
  ['SEALS_ORDER', { record: { root: rootOf([a, a]) }, seals: [a, a] }],
  [
    'CLOSED_BEFORE_SEAL',
    {
      record: { sealsEnd: honest2.sealsEnd + 1, sealCount: 3, root: rootOf([a, b, late]) },
      seals: [a, b, late],
    },
  ],
  ['ROOT_MISMATCH', { record: { root: new Uint8Array(32).fill(1) } }],
  ['CHECKPOINT_INVALID', { checkpoint: (r) => checkpointOf(r, sameNameOtherKey.signer) }],
  ['CHECKPOINT_INVALID', { checkpoint: () => 'calendar.test\n3\n' }],
  ['CHECKPOINT_ORIGIN', { state: { ...before2, origin: 'another.test' } }],
  ['CHECKPOINT_SIZE', { checkpoint: () => (honest.messages[1] as AnchoredRound).checkpoint }],
  [
    'CHECKPOINT_ROOT',
    {
      checkpoint: (r) =>
        signCheckpoint(
          { origin: ORIGIN, size: r.size, root: new Uint8Array(32).fill(2), extensions: [] },
          key.signer,
        ),
    },
  ],
];

describe('followRound', () => {
  it('follows the honest calendar without a violation, to its root, seals_end and closed_at', () => {
    const state = followAll(honest.messages);
    const last = honest.records.at(-1) as RoundRecord;
    expect(state.size).toBe(honest.messages.length);
    expect(state.range.root()).toEqual(
      merkleRoot(
        hasher,
        honest.messages.map((m) => m.round),
      ),
    );
    expect(state).toMatchObject({
      lastClosedAt: last.closedAt,
      sealsEnd: last.sealsEnd,
      intervalMs: 1000,
      origin: ORIGIN,
    });
  });

  it('starts round 0 at FIRST_SEAL_SEQUENCE, with the interval and origin the calendar knows', () => {
    const zero = honest.messages[0] as AnchoredRound;
    const codes = (state: FollowerState) =>
      followRound(hasher, state, zero, trust).violations.map((v) => v.code);
    expect(codes(emptyFollowerState(hasher, { intervalMs: 1000, origin: ORIGIN }))).toEqual([]);
    expect(codes(emptyFollowerState(hasher, { intervalMs: 500 }))).toEqual(['INTERVAL_CHANGED']);
    expect(codes(emptyFollowerState(hasher, { origin: 'another.test' }))).toEqual(['CHECKPOINT_ORIGIN']);
    expect(codes({ ...emptyFollowerState(hasher), sealsEnd: 0 })).toEqual(['SEALS_START']);
  });

  it.each(followedCases)('reports %s, and still follows the round', (code, change) => {
    const { state, message, record } = craft(change);
    const followed = followRound(hasher, state, message, trust);
    expect(followed.violations.map((v) => v.code)).toEqual([code]);
    expect(followed.violations[0]?.message).toMatch(/\w+: /);
    expect(followed.kind).toBe('extended');
    const after = state.range.clone();
    after.append(roundLeafHash(hasher, message.round));
    expect(followed.state).toMatchObject({
      size: 3,
      lastClosedAt: record.closedAt,
      sealsEnd: record.sealsEnd,
      intervalMs: 1000, // the calendar's interval stays the reference, even after a round changed it
    });
    expect(followed.state.range.root()).toEqual(after.root());
    expect(state.size).toBe(2); // the input state is unchanged
  });

  it('checks the next checkpoint against the calendar that includes a failing round', () => {
    const { state, message } = craft({
      record: { root: new Uint8Array(32).fill(1), closedAt: honest2.closedAt + 7 },
    });
    const bad = followRound(hasher, state, message, trust);
    expect(bad.violations.map((v) => v.code)).toEqual(['ROOT_MISMATCH']);
    const range = bad.state.range.clone();
    const next = rawRound({ ...(honest.records[3] as RoundRecord) });
    range.append(roundLeafHash(hasher, next));
    const followed = followRound(
      hasher,
      bad.state,
      { round: next, checkpoint: checkpointOf(range), seals: [] },
      trust,
    );
    expect(followed.violations).toEqual([]);
    // …while round 3's honest checkpoint (over the honest round 2) is now inconsistent.
    const honestNext = followRound(hasher, bad.state, honest.messages[3] as AnchoredRound, trust);
    expect(honestNext.violations.map((v) => v.code)).toEqual(['CHECKPOINT_ROOT']);
  });

  it('reports every rule a round breaks, not only the first', () => {
    const { state, message } = craft({
      record: { intervalMs: 2000, closedAt: T0, root: new Uint8Array(32).fill(1) },
      checkpoint: (r) => checkpointOf(r, sameNameOtherKey.signer),
    });
    expect(followRound(hasher, state, message, trust).violations.map((v) => v.code)).toEqual([
      'INTERVAL_CHANGED',
      'CLOSED_AT_NOT_INCREASING',
      'CLOSED_BEFORE_SEAL',
      'ROOT_MISMATCH',
      'CHECKPOINT_INVALID',
    ]);
  });

  const notFollowedCases: [
    string,
    () => { state: FollowerState; message: AnchoredRound },
    FollowViolationCode,
  ][] = [
    [
      'a record that does not parse',
      () => ({
        state: before2,
        message: { ...craft({}).message, round: craft({}).message.round.subarray(0, 76) },
      }),
      'ROUND_MALFORMED',
    ],
    [
      'round 3 after round 1 (a gap)',
      () => ({ state: before2, message: honest.messages[3] as AnchoredRound }),
      'ROUND_GAP',
    ],
    [
      'round 1 again',
      () => ({ state: before2, message: honest.messages[1] as AnchoredRound }),
      'ROUND_REPEATED',
    ],
  ];
  it.each(notFollowedCases)('does not follow %s', (_name, input, code) => {
    const { state, message } = input();
    const followed = followRound(hasher, state, message, trust);
    expect(followed.kind).toBe('not-followed');
    expect(followed.violations.map((v) => v.code)).toEqual([code]);
    expect(followed.state).toBe(state);
    expect(followed.leafHash).toEqual(roundLeafHash(hasher, message.round));
  });

  it('hands back the decoded seals in the order carried and the nodes the append completed', () => {
    const followed = followRound(hasher, before2, honest.messages[2] as AnchoredRound, trust);
    expect(followed.seals.map((s) => [s.record.shard, s.record.sealNumber])).toEqual([
      [0, 1],
      [2, 0],
    ]);
    if (followed.kind !== 'extended') throw new Error('not followed');
    // Leaf 2 completes no perfect subtree: only the leaf itself.
    expect(followed.nodes.map((n) => [n.level, n.index])).toEqual([[0, 2]]);
    expect(followed.checkpoint?.size).toBe(3);
  });
});

describe('checkFollowerCheckpoint', () => {
  it('learns the origin from the first checkpoint that verifies, and only then', () => {
    const state = { ...before2, origin: '' };
    const forged = checkFollowerCheckpoint(state, checkpointOf(state.range, sameNameOtherKey.signer), trust);
    expect(forged.state.origin).toBe('');
    const checked = checkFollowerCheckpoint(state, checkpointOf(state.range), trust);
    expect(checked.violations).toEqual([]);
    expect(checked.state.origin).toBe(ORIGIN);
    expect(checked.checkpoint?.size).toBe(2);
  });
});
