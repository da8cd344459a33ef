// ensureStreams against a real NATS: streams that already have the wanted settings are left alone
// (no update request — least-privilege NATS users may create streams but not change them, and two
// services starting at once in a cluster both reach this path); only changed settings are updated.
import { defaultStreamSettings, ensureStreams, streamNamesFor } from '@msi/nats';
import { useWorld } from '@msi/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';

const world = useWorld({ label: 'ensure_streams', nats: true });
const prefix = world.prefix;

describe('ensureStreams', () => {
  it('creates the streams, then leaves matching ones alone and updates only what changed', async () => {
    const jsm = await jetstreamManager(world.nc);
    const updated: string[] = [];
    const update = jsm.streams.update.bind(jsm.streams);
    jsm.streams.update = (name, config) => {
      updated.push(name);
      return update(name, config);
    };
    await ensureStreams(jsm, prefix, defaultStreamSettings);
    await Promise.all([
      ensureStreams(jsm, prefix, defaultStreamSettings),
      ensureStreams(jsm, prefix, defaultStreamSettings),
    ]);
    expect(updated).toEqual([]);
    const names = streamNamesFor(prefix);
    await ensureStreams(jsm, prefix, { ...defaultStreamSettings, eventsMaxAgeMs: 3600_000 });
    expect(updated).toEqual([names.events]);
    expect((await jsm.streams.info(names.events)).config.max_age).toBe(3600_000 * 1_000_000);
  });
});
