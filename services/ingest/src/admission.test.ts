import { describe, expect, it } from 'vitest';
import { Admission } from './admission.js';

describe('Admission', () => {
  it('refuses unary work past the capacity and reports usage', () => {
    const seen: number[] = [];
    const admission = new Admission(10, (used) => seen.push(used));
    expect(admission.tryAcquire(6)).toBe(true);
    expect(admission.tryAcquire(5)).toBe(false);
    expect(admission.tryAcquire(4)).toBe(true);
    admission.release(6);
    expect(admission.inUse).toBe(4);
    expect(seen).toEqual([6, 10, 4]);
  });

  it('grants waiting streams in arrival order as capacity frees', async () => {
    const admission = new Admission(10);
    admission.tryAcquire(10);
    const order: string[] = [];
    const a = admission.acquire(4).then(() => order.push('a'));
    const b = admission.acquire(7).then(() => order.push('b'));
    expect(admission.tryAcquire(1)).toBe(false); // others are waiting: no overtaking
    admission.release(5);
    await a;
    expect(order).toEqual(['a']);
    admission.release(5); // the rest of the first 10: 4 in use, b (7) still does not fit
    await Promise.resolve();
    expect(order).toEqual(['a']);
    admission.release(4); // a is done
    await b;
    expect(order).toEqual(['a', 'b']);
    expect(admission.inUse).toBe(7);
  });

  it('lets an oversized request through only when ingest is empty', async () => {
    const admission = new Admission(10);
    admission.tryAcquire(3);
    let granted = false;
    const big = admission.acquire(25).then(() => {
      granted = true;
    });
    await Promise.resolve();
    expect(granted).toBe(false);
    admission.release(3);
    await big;
    expect(admission.inUse).toBe(25);
  });

  it('takes an oversized request at once when ingest is empty already', async () => {
    const admission = new Admission(10);
    await admission.acquire(25); // would wait forever for a release that cannot come
    expect(admission.inUse).toBe(25);
    admission.release(25);
    expect(admission.inUse).toBe(0);
  });
});
