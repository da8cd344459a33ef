import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planLeases } from './fair-share.js';
import type { LeaseState } from './lease.js';

const free: LeaseState = { kind: 'free', revision: 0 };
const mine: LeaseState = { kind: 'mine', revision: 1 };
const held: LeaseState = { kind: 'held', owner: 'x', expiresAtMs: 1 };

describe('planLeases', () => {
  it('a lone process takes every shard', () => {
    expect(planLeases({ shards: 4, me: 'a', live: [], leases: [free, free, free, free] })).toEqual({
      quota: 4,
      release: [],
      acquire: [0, 1, 2, 3],
    });
  });

  it('a process over its quota releases the shards it does not prefer', () => {
    // live [a, b]: a (rank 0) prefers even shards.
    expect(planLeases({ shards: 4, me: 'a', live: ['a', 'b'], leases: [mine, mine, mine, mine] })).toEqual({
      quota: 2,
      release: [1, 3],
      acquire: [],
    });
  });

  it('a newcomer takes free shards up to its quota, preferred first', () => {
    expect(
      planLeases({ shards: 5, me: 'b', live: ['a', 'b'], leases: [held, free, free, free, held] }),
    ).toEqual({
      quota: 3,
      release: [],
      acquire: [1, 3, 2],
    });
  });

  it('takes nothing when at quota or when nothing is free', () => {
    expect(planLeases({ shards: 4, me: 'a', live: ['b'], leases: [mine, mine, free, free] }).acquire).toEqual(
      [],
    );
    expect(planLeases({ shards: 4, me: 'a', live: [], leases: [held, held, held, mine] }).acquire).toEqual(
      [],
    );
  });

  it('property: processes taking turns converge to every shard held once, none over quota', () => {
    const scenario = fc.record({
      shards: fc.integer({ min: 1, max: 16 }),
      processes: fc.integer({ min: 1, max: 5 }),
      order: fc.array(fc.nat(), { minLength: 40, maxLength: 80 }),
    });
    fc.assert(
      fc.property(scenario, ({ shards, processes, order }) => {
        const ids = Array.from({ length: processes }, (_, i) => `p${i}`);
        const owner: (string | undefined)[] = new Array(shards).fill(undefined);
        const turn = (me: string): void => {
          const leases = owner.map((o): LeaseState => (o === undefined ? free : o === me ? mine : held));
          const plan = planLeases({ shards, me, live: ids, leases });
          for (const s of plan.release) owner[s] = undefined;
          for (const s of plan.acquire) if (owner[s] === undefined) owner[s] = me;
        };
        for (const i of order) turn(ids[i % processes] ?? 'p0');
        for (const me of ids) turn(me); // everyone has had a turn after the last change
        for (const me of ids) turn(me);
        const quota = Math.ceil(shards / processes);
        expect(owner.every((o) => o !== undefined)).toBe(true);
        for (const me of ids) expect(owner.filter((o) => o === me).length).toBeLessThanOrEqual(quota);
      }),
      { numRuns: 100 },
    );
  });
});
