import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { defaultStreamSettings, ensureStreams, retryingTimeouts, streamConfigsFor } from './streams.js';

/** What nats.js throws when a request gets no answer in time. */
const timeout = (): Error => Object.assign(new Error('timeout'), { name: 'TimeoutError' });
const noSleep = { attempts: 4, firstDelayMs: 500, maxDelayMs: 4000, sleep: async () => {} };

/** A JetStreamManager whose stream add fails with `failures` (in order) before it succeeds. */
function fakeJsm(failures: Error[]) {
  const added: string[] = [];
  let calls = 0;
  const jsm = {
    streams: {
      add: async (config: StreamConfig) => {
        calls += 1;
        const failure = failures.shift();
        if (failure !== undefined) throw failure;
        added.push(config.name);
        return {};
      },
    },
  } as unknown as JetStreamManager;
  return { jsm, added, calls: () => calls };
}

describe('ensureStreams', () => {
  it('asks again when a stream add times out (a busy cluster), and creates every stream', async () => {
    const { jsm, added, calls } = fakeJsm([timeout(), timeout()]);
    await ensureStreams(jsm, 'msi', defaultStreamSettings, noSleep);
    const names = streamConfigsFor('msi', defaultStreamSettings).map((config) => config.name);
    expect(added).toEqual(names);
    expect(calls()).toBe(names.length + 2);
  });

  it('gives up with the timeout after the last attempt, and never retries another error', async () => {
    await expect(
      ensureStreams(
        fakeJsm([timeout(), timeout(), timeout(), timeout()]).jsm,
        'msi',
        defaultStreamSettings,
        noSleep,
      ),
    ).rejects.toThrow('timeout');
    const refused = fakeJsm([new Error('permissions violation')]);
    await expect(ensureStreams(refused.jsm, 'msi', defaultStreamSettings, noSleep)).rejects.toThrow(
      'permissions',
    );
    expect(refused.calls()).toBe(1);
  });
});

describe('retryingTimeouts', () => {
  it('waits 0.5 s doubling to its maximum between attempts', async () => {
    const waited: number[] = [];
    let left = 5;
    const result = await retryingTimeouts(
      async () => {
        if (left-- > 0) throw timeout();
        return 'ok';
      },
      { attempts: 6, firstDelayMs: 500, maxDelayMs: 4000, sleep: async (ms) => void waited.push(ms) },
    );
    expect(result).toBe('ok');
    expect(waited).toEqual([500, 1000, 2000, 4000, 4000]);
  });
});
