import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteLru } from './byte-lru.js';

describe('ByteLru', () => {
  it('drops the least recently used entries beyond its budget', () => {
    const lru = new ByteLru<string>(100);
    lru.set('a', 'A', 40);
    lru.set('b', 'B', 40);
    expect(lru.get('a')).toBe('A'); // a is now the most recently used
    lru.set('c', 'C', 40);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe('A');
    expect(lru.get('c')).toBe('C');
    expect(lru.bytes).toBe(80);
  });

  it('keeps nothing over its budget, and nothing at all with a budget of 0', () => {
    const lru = new ByteLru<string>(10);
    lru.set('big', 'x', 11);
    expect(lru.size).toBe(0);
    const none = new ByteLru<string>(0);
    none.set('a', 'A', 1);
    expect(none.get('a')).toBeUndefined();
    expect(() => new ByteLru(-1)).toThrow(RangeError);
  });

  it('property: behaves as a list ordered by use, trimmed from the least recently used', () => {
    const op = fc.oneof(
      fc.record({ get: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ set: fc.integer({ min: 0, max: 9 }), bytes: fc.integer({ min: 0, max: 60 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const lru = new ByteLru<number>(100);
        let model: { key: string; value: number; bytes: number }[] = []; // least recently used first
        ops.forEach((o, step) => {
          if ('get' in o) {
            const key = `k${o.get}`;
            const at = model.findIndex((e) => e.key === key);
            const found = at < 0 ? undefined : model.splice(at, 1)[0];
            if (found !== undefined) model.push(found);
            expect(lru.get(key)).toBe(found?.value);
          } else {
            const key = `k${o.set}`;
            model = model.filter((e) => e.key !== key);
            if (o.bytes <= 100) model.push({ key, value: step, bytes: o.bytes });
            while (model.reduce((sum, e) => sum + e.bytes, 0) > 100) model.shift();
            lru.set(key, step, o.bytes);
          }
          expect(lru.size).toBe(model.length);
          expect(lru.bytes).toBe(model.reduce((sum, e) => sum + e.bytes, 0));
        });
      }),
      { numRuns: 300 },
    );
  });

  it('replacing an entry counts its new size only', () => {
    const lru = new ByteLru<string>(100);
    lru.set('a', 'A', 60);
    lru.set('a', 'A2', 30);
    expect(lru.bytes).toBe(30);
    expect(lru.get('a')).toBe('A2');
  });

  it('shares one load between concurrent callers and keeps only what `keep` accepts', async () => {
    const lru = new ByteLru<number[]>(1000);
    let loads = 0;
    const loader = async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return [1, 2, 3];
    };
    const [x, y] = await Promise.all([lru.load('k', loader, () => 10), lru.load('k', loader, () => 10)]);
    expect(x).toEqual([1, 2, 3]);
    expect(y).toBe(x);
    expect(loads).toBe(1);
    expect(await lru.load('k', loader, () => 10)).toBe(x);
    expect(loads).toBe(1);
    await lru.load(
      'empty',
      async () => [],
      () => 10,
      (v) => v.length > 0,
    );
    expect(lru.get('empty')).toBeUndefined();
    await expect(
      lru.load(
        'fails',
        async () => Promise.reject(new Error('db away')),
        () => 1,
      ),
    ).rejects.toThrow('db away');
    expect(
      await lru.load(
        'fails',
        async () => [7],
        () => 1,
      ),
    ).toEqual([7]);
  });
});
