import { encodeRound, type RoundSeal, roundLeafHash, signCheckpoint } from '@msi/core';
import { streamV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import {
  decodeRoundAnchored,
  encodeRoundAnchored,
  judgePublished,
  publishedCheckpoint,
  replayRound,
} from './anchored-round.js';
import { CalendarError, type CalendarErrorCode } from './calendar-error.js';
import { type CalendarState, emptyState, extendState } from './calendar-state.js';
import { hasher, identityOf, makeSeal, testKey } from './fixtures.test-helper.js';
import { assembleRound } from './round-assembly.js';

const key = testKey();
const identity = identityOf(key);

/** Closes rounds over `sealsPerRound` as the calendar does; returns each message and the states. */
function chain(sealsPerRound: readonly (readonly RoundSeal[])[], signer = key.signer) {
  let state = emptyState(hasher);
  const states: CalendarState[] = [state];
  const messages: Uint8Array[] = [];
  let streamEnd = 1;
  for (const seals of sealsPerRound) {
    streamEnd += seals.length;
    const context = {
      round: state.size,
      previousClosedAt: state.lastClosedAt,
      sealsStart: state.sealsEnd,
      intervalMs: identity.intervalMs,
    };
    const closed = assembleRound(
      hasher,
      context,
      streamEnd,
      seals,
      1_700_000_000_000_000 + state.size * 1_000_000,
    );
    const leaf = roundLeafHash(hasher, encodeRound(closed.record));
    state = extendState(state, leaf, closed.record).state;
    const note = signCheckpoint(
      { origin: signer.name, size: state.size, root: state.root, extensions: [] },
      signer,
    );
    messages.push(encodeRoundAnchored(closed, note));
    states.push(state);
  }
  return { messages, states };
}

const rounds = [[makeSeal(1, 0, 100), makeSeal(0, 0, 200)], [], [makeSeal(0, 1, 300)], [], []];
const { messages, states } = chain(rounds);

function codeOf(action: () => unknown): CalendarErrorCode | undefined {
  try {
    action();
  } catch (error: unknown) {
    if (error instanceof CalendarError) return error.code;
    throw error;
  }
  return undefined;
}

/** `messages[i]` with fields changed. */
function mutate(i: number, change: (m: streamV1.RoundAnchored) => void): Uint8Array {
  const message = streamV1.RoundAnchored.decode(messages[i] ?? new Uint8Array());
  change(message);
  return streamV1.RoundAnchored.encode(message).finish();
}

/** Decodes and replays `data` onto `state` as catch-up does. */
const replay = (state: CalendarState, data: Uint8Array, id = identity) =>
  replayRound(hasher, state, decodeRoundAnchored(data), id);

describe('decodeRoundAnchored and replayRound', () => {
  it('replay every published round onto the empty calendar, reaching each checkpoint', () => {
    let state = emptyState(hasher);
    for (const [i, message] of messages.entries()) {
      const replayed = replay(state, message);
      state = replayed.extension.state;
      expect(state.root).toEqual(states[i + 1]?.root);
      expect(state.sealsEnd).toBe(states[i + 1]?.sealsEnd);
      expect(replayed.extension.nodes.length).toBeGreaterThan(0);
    }
    expect(state.size).toBe(rounds.length);
  });

  it('refuse a message that is not protobuf, and version 2 (HISTORY_UNVERIFIABLE)', () => {
    expect(codeOf(() => decodeRoundAnchored(Uint8Array.of(0xff, 0xff)))).toBe('HISTORY_UNVERIFIABLE');
    const v2 = mutate(0, (m) => Object.assign(m, { version: 2 }));
    expect(codeOf(() => decodeRoundAnchored(v2))).toBe('HISTORY_UNVERIFIABLE');
  });

  const other = testKey('test.example/calendar', 2);
  const stranger = testKey('someone.else/log', 3);
  const empty = () => emptyState(hasher);
  const at = (size: number) => states[size] as CalendarState;
  // Any violation core followRound finds (each rule has its own test there) refuses the round.
  const replayCases: [string, () => unknown][] = [
    [
      'another calendar’s key of the same name',
      () => replay(empty(), chain(rounds, other.signer).messages[0] ?? new Uint8Array()),
    ],
    ['another origin', () => replay(empty(), chain(rounds, stranger.signer).messages[0] ?? new Uint8Array())],
    [
      'another interval',
      () => replay(empty(), messages[0] ?? new Uint8Array(), { ...identity, intervalMs: 500 }),
    ],
    [
      'a checkpoint of another size',
      () =>
        replay(
          at(1),
          mutate(1, (m) =>
            Object.assign(m, {
              checkpoint: streamV1.RoundAnchored.decode(messages[0] ?? new Uint8Array()).checkpoint,
            }),
          ),
        ),
    ],
    [
      'a seal left out',
      () =>
        replay(
          empty(),
          mutate(0, (m) => m.seals.pop()),
        ),
    ],
    [
      'a tampered closed_at (the leaf no longer gives the checkpoint’s root)',
      () =>
        replay(
          empty(),
          mutate(0, (m) => m.round.fill(0, 18, 20)),
        ),
    ],
    ['a round that does not follow the state', () => replay(empty(), messages[1] ?? new Uint8Array())],
    [
      'seals out of (shard, seal_number) order',
      () =>
        replay(
          empty(),
          mutate(0, (m) => m.seals.reverse()),
        ),
    ],
    [
      'a state whose seal range ends elsewhere',
      () => replay({ ...at(1), sealsEnd: 2 }, messages[1] ?? new Uint8Array()),
    ],
    [
      'a state whose tree differs (a fork)',
      () => {
        const forked = chain([[makeSeal(5, 0, 100)]]).states[1] as CalendarState;
        return replay({ ...forked, sealsEnd: at(1).sealsEnd }, messages[1] ?? new Uint8Array());
      },
    ],
    [
      'a state closed after the round',
      () => replay({ ...at(1), lastClosedAt: 2 ** 52 }, messages[1] ?? new Uint8Array()),
    ],
  ];
  it.each(replayCases)('replayRound refuses %s (HISTORY_UNVERIFIABLE)', (_name, action) => {
    expect(codeOf(action)).toBe('HISTORY_UNVERIFIABLE');
  });

  it('names every broken rule', () => {
    const error = (() => {
      try {
        replay(
          empty(),
          mutate(0, (m) => m.seals.reverse()),
          { ...identity, intervalMs: 500 },
        );
      } catch (e: unknown) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/INTERVAL_CHANGED.*SEALS_ORDER.*ROOT_MISMATCH/);
  });
});

describe('publishedCheckpoint', () => {
  it('is the checkpoint of a message of this calendar', () => {
    expect(publishedCheckpoint(messages[2] ?? new Uint8Array(), identity).size).toBe(3);
  });
  it('refuses another key or origin (HISTORY_UNVERIFIABLE)', () => {
    const other = testKey('test.example/calendar', 2);
    const foreign = chain(rounds, other.signer).messages[0] ?? new Uint8Array();
    expect(codeOf(() => publishedCheckpoint(foreign, identity))).toBe('HISTORY_UNVERIFIABLE');
    const stranger = testKey('someone.else/log', 3);
    expect(codeOf(() => publishedCheckpoint(messages[0] ?? new Uint8Array(), identityOf(stranger)))).toBe(
      'HISTORY_UNVERIFIABLE',
    );
  });
});

describe('judgePublished', () => {
  const at = (size: number) => {
    const state = states[size] as CalendarState;
    return { origin: identity.origin, size, root: state.root, extensions: [] };
  };
  it('is nothing-published without a checkpoint', () => {
    expect(judgePublished(3, undefined, undefined)).toBe('nothing-published');
  });
  it('is behind when the published size is larger', () => {
    expect(judgePublished(2, at(4), undefined)).toBe('behind');
  });
  it('is up-to-date when the database has the published root at that size', () => {
    expect(judgePublished(4, at(3), states[3]?.root)).toBe('up-to-date');
    expect(judgePublished(3, at(3), states[3]?.root)).toBe('up-to-date');
  });
  it('is FORKED when the roots at the published size differ', () => {
    expect(codeOf(() => judgePublished(4, at(3), states[2]?.root))).toBe('FORKED');
  });
});
