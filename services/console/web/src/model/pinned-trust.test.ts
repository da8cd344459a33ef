import { describe, expect, it } from 'vitest';
import { readPinnedTrust } from './pinned-trust.js';

const LOG = 'msi.example/calendar+67b72184+AdglrftQ5QZx3ASAne8Q3KHYXaFFumBXZUeUCpPUOSGK';
const WITNESS = 'witness.example/a+78d53652+BI8YfYylgNEUcUO6gqGjx5RKAhHd+8JbdFr4IEkFokwc';

describe('readPinnedTrust', () => {
  it('sorts pasted keys into log and witness keys, skipping comments', () => {
    const pinned = readPinnedTrust(`# calendar\n${LOG}\n\n${WITNESS}, \n`, 1);
    expect(pinned.logKeys).toEqual([LOG]);
    expect(pinned.witnessKeys).toEqual([WITNESS]);
    expect(pinned.trust.logKeys.map((k) => k.name)).toEqual(['msi.example/calendar']);
    expect(pinned.trust.witnessKeys?.map((k) => k.name)).toEqual(['witness.example/a']);
    expect(pinned.trust.quorum).toBe(1);
    expect(pinned.problems).toEqual([]);
  });

  it('names the line of what is not a key and trusts nothing from it', () => {
    const pinned = readPinnedTrust(`${LOG}\nnot-a-key\n`, 0);
    expect(pinned.logKeys).toEqual([LOG]);
    expect(pinned.problems).toHaveLength(1);
    expect(pinned.problems[0]).toMatch(/^line 2: not a verifier key/);
  });
});
