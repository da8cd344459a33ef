import { streamV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import {
  classifyLease,
  decodeLease,
  encodeLease,
  instanceKey,
  type KvEntryView,
  type LeaseState,
  leaseKey,
  liveInstances,
  RELEASED,
} from './lease.js';

const put = (owner: string, expiresAtMs: number, revision: number): KvEntryView => ({
  value: encodeLease({ owner, expiresAtMs }),
  revision,
  operation: 'PUT',
});

describe('lease values', () => {
  it('round-trip as ShardLease v1 under their keys', () => {
    expect(decodeLease(encodeLease({ owner: 'agg-1', expiresAtMs: 1_732_000_006_000 }))).toEqual({
      owner: 'agg-1',
      expiresAtMs: 1_732_000_006_000,
    });
    expect([leaseKey(3), instanceKey('agg-1')]).toEqual(['shard.3', 'instance.agg-1']);
  });

  it('reads an unknown version or garbage as no lease', () => {
    const v2 = streamV1.ShardLease.encode({ version: 2, owner: 'x', expiresAtMs: 9n }).finish();
    expect(decodeLease(v2)).toBeUndefined();
    expect(decodeLease(Uint8Array.of(0xff, 0xff))).toBeUndefined();
  });
});

describe('classifyLease at t = 1000 for process "me"', () => {
  const cases: [string, KvEntryView | null, number | undefined, LeaseState][] = [
    ['never written', null, undefined, { kind: 'free', revision: 0 }],
    [
      'deleted',
      { value: new Uint8Array(0), revision: 4, operation: 'DEL' },
      undefined,
      { kind: 'free', revision: 4 },
    ],
    [
      'released',
      { ...put('', 0, 5), value: encodeLease(RELEASED) },
      undefined,
      { kind: 'free', revision: 5 },
    ],
    ['expired (another owner)', put('other', 1000, 6), undefined, { kind: 'free', revision: 6 }],
    [
      'garbage',
      { value: Uint8Array.of(0xff), revision: 7, operation: 'PUT' },
      undefined,
      { kind: 'free', revision: 7 },
    ],
    [
      'held by another',
      put('other', 1001, 8),
      undefined,
      { kind: 'held', owner: 'other', expiresAtMs: 1001 },
    ],
    ['mine under the revision I hold', put('me', 4000, 9), 9, { kind: 'mine', revision: 9 }],
    [
      'mine but another revision (lost reply, or a previous run)',
      put('me', 4000, 10),
      9,
      { kind: 'free', revision: 10 },
    ],
    ['mine from a previous run', put('me', 4000, 11), undefined, { kind: 'free', revision: 11 }],
    ['mine, expired', put('me', 999, 12), 12, { kind: 'free', revision: 12 }],
  ];
  it.each(cases)('%s', (_name, entry, held, state) => {
    expect(classifyLease(entry, 'me', held, 1000)).toEqual(state);
  });
});

describe('liveInstances', () => {
  it('keeps the heartbeats that have not expired', () => {
    const beats = [
      put('a', 2000, 1),
      put('b', 1000, 2),
      null,
      { value: new Uint8Array(0), revision: 3, operation: 'DEL' as const },
      put('c', 1500, 4),
    ];
    expect(liveInstances(beats, 1000)).toEqual(['a', 'c']);
  });
});
