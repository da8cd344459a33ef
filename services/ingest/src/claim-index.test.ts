import { describe, expect, it } from 'vitest';
import { ClaimIndex, claimIndexOf, claimKey, claimPosition, claimSeqOf } from './claim-index.js';

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;
const id = (n: number) => new Uint8Array(16).fill(n);
const claim = (n: number, idTimeMs = T0, supersedes = 0, tenant = 'acme') => ({
  tenant,
  eventId: id(n),
  idTimeMs,
  supersedes,
});

describe('ClaimIndex', () => {
  it('gives each id to its first claim in stream order, within and across messages', () => {
    const index = new ClaimIndex({ windowMs: HOUR, skewMs: 60_000 });
    index.apply(1, [claim(1), claim(2), claim(1)]);
    index.apply(2, [claim(2), claim(3)]);
    expect(index.winner(claimKey('acme', id(1)), T0)).toBe(claimPosition(1, 0));
    expect(index.winner(claimKey('acme', id(2)), T0)).toBe(claimPosition(1, 1));
    expect(index.winner(claimKey('acme', id(3)), T0)).toBe(claimPosition(2, 1));
    expect(index.winner(claimKey('acme', id(4)), T0)).toBeUndefined();
    expect(index.size).toBe(3);
  });

  it('keeps tenants apart', () => {
    const index = new ClaimIndex({ windowMs: HOUR, skewMs: 0 });
    index.apply(1, [claim(1, T0, 0, 'acme'), claim(1, T0, 0, 'globex')]);
    expect(index.winner(claimKey('acme', id(1)), T0)).toBe(claimPosition(1, 0));
    expect(index.winner(claimKey('globex', id(1)), T0)).toBe(claimPosition(1, 1));
  });

  it('replaces a winner only by a claim that names it, and only the first such claim', () => {
    const index = new ClaimIndex({ windowMs: HOUR, skewMs: 0 });
    index.apply(1, [claim(1)]);
    const original = claimPosition(1, 0);
    index.apply(2, [claim(1, T0, claimPosition(9, 9))]); // names something else: ignored
    index.apply(3, [claim(1, T0, original)]);
    index.apply(4, [claim(1, T0, original)]); // too late: the winner changed
    expect(index.winner(claimKey('acme', id(1)), T0)).toBe(claimPosition(3, 0));
    index.apply(5, [claim(2, T0, original)]); // nothing to replace
    expect(index.winner(claimKey('acme', id(2)), T0)).toBeUndefined();
    expect(index.size).toBe(1);
  });

  it('accepts ids in [now − window, now + skew] only', () => {
    const index = new ClaimIndex({ windowMs: HOUR, skewMs: 60_000 });
    expect(index.inWindow(T0 - HOUR, T0)).toBe(true);
    expect(index.inWindow(T0 - HOUR - 1, T0)).toBe(false);
    expect(index.inWindow(T0 + 60_000, T0)).toBe(true);
    expect(index.inWindow(T0 + 60_001, T0)).toBe(false);
  });

  it('forgets ids once their time is older than the window', () => {
    const index = new ClaimIndex({ windowMs: HOUR, skewMs: 0 });
    index.apply(1, [claim(1, T0), claim(2, T0 + HOUR)]);
    index.expire(T0 + HOUR);
    expect(index.size).toBe(2);
    index.expire(T0 + 2 * HOUR);
    expect(index.winner(claimKey('acme', id(1)), T0)).toBeUndefined();
    expect(index.winner(claimKey('acme', id(2)), T0 + HOUR)).toBe(claimPosition(1, 1));
    expect(index.size).toBe(1);
  });

  it('packs positions losslessly', () => {
    const position = claimPosition(123_456_789, 99_999);
    expect([claimSeqOf(position), claimIndexOf(position)]).toEqual([123_456_789, 99_999]);
  });
});
