import { describe, expect, it } from 'vitest';
import { type LastPublished, type OutboxRow, type PublishPlan, planPublish } from './publish-plan.js';

const row = (round: number, tag = round): OutboxRow => ({ round, payload: Uint8Array.of(round, tag) });
const last = (round: number, seq: number, tag = round): LastPublished => ({
  seq,
  round,
  data: Uint8Array.of(round, tag),
});

describe('planPublish', () => {
  const cases: [string, LastPublished | undefined, OutboxRow[], PublishPlan][] = [
    ['nothing anywhere', undefined, [], { kind: 'up-to-date' }],
    [
      'the first rounds of a new calendar',
      undefined,
      [row(0), row(1)],
      { kind: 'publish', rows: [row(0), row(1)], expectLastSequence: 0 },
    ],
    [
      'the rows after the stream’s last round',
      last(4, 17),
      [row(4), row(5), row(6)],
      { kind: 'publish', rows: [row(5), row(6)], expectLastSequence: 17 },
    ],
    ['nothing when the stream has the database’s last round', last(6, 19), [row(6)], { kind: 'up-to-date' }],
    ['nothing when the database lacks the stream’s last round (behind)', last(6, 19), [], { kind: 'behind' }],
    [
      'nothing when the stream has a round the database starts after',
      undefined,
      [row(3)],
      { kind: 'behind' },
    ],
    ['a fork when the same round differs', last(4, 17, 99), [row(4), row(5)], { kind: 'forked', round: 4 }],
  ];
  it.each(cases)('plans %s', (_name, lastOnStream, rows, want) => {
    expect(planPublish(lastOnStream, rows)).toEqual(want);
  });
});
