import { ensureStreams, PublishError, publishDurable, streamNamesFor, subjectsFor } from '@msi/nats';
import { useWorld } from '@msi/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { beforeAll, describe, expect, it } from 'vitest';

const world = useWorld({ label: 'nats_publish', nats: true });
const prefix = world.prefix;
const subjects = subjectsFor(prefix);
let nc: NatsConnection;

beforeAll(async () => {
  nc = world.nc;
  await ensureStreams(await jetstreamManager(nc), prefix, {
    replicas: 1,
    eventsMaxAgeMs: 3600_000,
    duplicateWindowMs: 60_000,
  });
});

describe('streams and durable publish (real nats-server)', () => {
  it('creates every stream idempotently', async () => {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, prefix, { replicas: 1, eventsMaxAgeMs: 3600_000, duplicateWindowMs: 60_000 });
    const names = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(prefix.toUpperCase())) names.push(name);
    expect(names.sort()).toEqual(Object.values(streamNamesFor(prefix)).sort());
  });

  it('stores a retried publish with the same msgID once', async () => {
    const js = jetstream(nc);
    const options = { msgID: 'batch-1', timeoutMs: 2000, attempts: 3 };
    const first = await publishDurable(js, subjects.events(0), new Uint8Array([1]), options);
    const retry = await publishDurable(js, subjects.events(0), new Uint8Array([1]), options);
    expect(first.duplicate).toBe(false);
    expect(retry.duplicate).toBe(true);
    expect(retry.seq).toBe(first.seq);
  });

  it('fences a publish whose expected last subject sequence is stale', async () => {
    const js = jetstream(nc);
    const first = await publishDurable(js, subjects.seals(1), new Uint8Array([1]), {
      expectLastSubjectSequence: 0,
      timeoutMs: 2000,
      attempts: 1,
    });
    await publishDurable(js, subjects.seals(1), new Uint8Array([2]), {
      expectLastSubjectSequence: first.seq,
      timeoutMs: 2000,
      attempts: 1,
    });
    const stale = publishDurable(js, subjects.seals(1), new Uint8Array([3]), {
      expectLastSubjectSequence: first.seq,
      timeoutMs: 2000,
      attempts: 1,
    });
    await expect(stale).rejects.toBeInstanceOf(PublishError);
    await expect(stale).rejects.toMatchObject({ code: 'FENCED' });
  });
});
