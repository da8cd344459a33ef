import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintUuidV7 } from '@msi/core';
import { ingestV1 } from '@msi/proto';
import { useWorld } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  clientFor,
  durableOf,
  KEYS,
  sampleEvent,
  snapshot,
  startTestIngest,
  submitBatch,
  testEnv,
  writeCredentials,
} from './ingest.test-helper.js';
import type { RunningIngest } from './ingest-server.js';

// The dedup window at its edges, with ingest clocks injected: one ingest on the real clock takes the
// original, replicas whose clocks are set just inside and just outside the window take the retries.
const WINDOW_MS = 120_000;
const world = useWorld({ label: 'ingest_window' });
const { natsUrl, prefix } = world;
const env = testEnv(natsUrl, prefix, writeCredentials(), { MSI_INGEST_DEDUP_WINDOW_MS: String(WINDOW_MS) });
const running: RunningIngest[] = [];

/** An event whose id was minted at `idTimeMs`, occurring 4 min later (within every clock's bounds here). */
function eventMintedAt(idTimeMs: number) {
  return sampleEvent({
    eventId: Buffer.from(mintUuidV7(idTimeMs, randomBytes(16))),
    occurredAtUs: BigInt(idTimeMs + 4 * 60_000) * 1000n,
  });
}

async function ingestAt(clockOffsetMs: number): Promise<RunningIngest> {
  const ingest = await startTestIngest(env, undefined, () => Date.now() + clockOffsetMs);
  running.push(ingest);
  return ingest;
}

let original: RunningIngest;
beforeAll(async () => {
  original = await ingestAt(0);
});
afterAll(async () => {
  for (const ingest of running) await ingest.close(1000);
});

const failureOf = (ack: ingestV1.EventAck | undefined) =>
  ack?.outcome?.$case === 'failed' ? ack.outcome.value.code : 'durable';

describe('the dedup window', () => {
  it('answers a retry just inside the window as a duplicate, and refuses one just outside', async () => {
    const mintedAt = Date.now();
    const event = eventMintedAt(mintedAt);
    const client = clientFor(original.port, KEYS.acme);
    const first = durableOf((await submitBatch(client, [event])).acks[0]);
    client.close();

    // Clocks fixed relative to the id's time: `now − window` lands 5 s after it, or 1 ms before it.
    const inside = await ingestAt(mintedAt + WINDOW_MS - 5000 - Date.now());
    const insideClient = clientFor(inside.port, KEYS.acme);
    const retried = durableOf((await submitBatch(insideClient, [event])).acks[0]);
    insideClient.close();
    expect(retried).toEqual({ ...first, duplicate: true });

    const outside = await ingestAt(mintedAt + WINDOW_MS + 1 - Date.now());
    const outsideClient = clientFor(outside.port, KEYS.acme);
    const refused = (await submitBatch(outsideClient, [event])).acks[0];
    outsideClient.close();
    expect(failureOf(refused)).toBe(ingestV1.FailureCode.FAILURE_CODE_ID_OUTSIDE_WINDOW);

    const { events } = await snapshot(natsUrl, prefix);
    expect(events.filter((bytes) => bytes.includes(event.eventId))).toHaveLength(1);
  });

  it('refuses ids minted further ahead than the allowed skew; occurred_at is bounded apart (max age)', async () => {
    const client = clientFor(original.port, KEYS.acme);
    const ahead = eventMintedAt(Date.now() + 5 * 60_000 + 10_000);
    const { acks } = await submitBatch(client, [{ ...ahead, occurredAtUs: BigInt(Date.now()) * 1000n }]);
    expect(failureOf(acks[0])).toBe(ingestV1.FailureCode.FAILURE_CODE_ID_OUTSIDE_WINDOW);
    // an event may describe something older than the window: its fresh id is what the window bounds
    const older = sampleEvent({ occurredAtUs: BigInt(Date.now() - WINDOW_MS - 1000) * 1000n });
    expect(failureOf((await submitBatch(client, [older])).acks[0])).toBe('durable');
    client.close();
  });

  it('answers retries from the claim index files once their ids are past the memory horizon', async () => {
    // A replica 30 s ahead that keeps only the last 2 s of ids in memory: the original's id is on
    // disk there once the slice is written, and so is an id it takes itself, minted 25 s before its now.
    const dir = mkdtempSync(join(tmpdir(), 'msi-ingest-claim-dir-'));
    const aheadMs = 30_000;
    const event = eventMintedAt(Date.now());
    const client = clientFor(original.port, KEYS.acme);
    const first = durableOf((await submitBatch(client, [event])).acks[0]);
    client.close();
    const replica = await startTestIngest(
      { ...env, MSI_INGEST_CLAIM_MEMORY_MS: '2000', MSI_INGEST_CLAIM_DIR: dir },
      undefined,
      () => Date.now() + aheadMs,
    );
    running.push(replica);
    const replicaClient = clientFor(replica.port, KEYS.acme);
    const late = eventMintedAt(Date.now() + aheadMs - 25_000);
    const lateAck = durableOf((await submitBatch(replicaClient, [late])).acks[0]);
    // Every id it holds is past its horizon: once all are written, nothing of the index is in memory.
    const indexBytes = async () =>
      Object.fromEntries(
        (await replica.registry.getSingleMetric('msi_ingest_claim_index_bytes')?.get())?.values.map((v) => [
          String(v.labels.tier),
          v.value,
        ]) ?? [],
      );
    await vi.waitFor(async () => expect(await indexBytes()).toMatchObject({ memory: 0 }), {
      timeout: 20_000,
      interval: 200,
    });
    expect((await indexBytes()).disk).toBeGreaterThan(0);
    const claimFiles = readdirSync(dir, { recursive: true, encoding: 'utf8' });
    expect(claimFiles.some((name) => name.endsWith('.claims'))).toBe(true);

    expect(durableOf((await submitBatch(replicaClient, [event])).acks[0])).toEqual({
      ...first,
      duplicate: true,
    });
    expect(durableOf((await submitBatch(replicaClient, [late])).acks[0])).toEqual({
      ...lateAck,
      duplicate: true,
    });
    replicaClient.close();
    const { events } = await snapshot(natsUrl, prefix);
    for (const sent of [event, late])
      expect(events.filter((bytes) => bytes.includes(sent.eventId))).toHaveLength(1);

    await replica.close(1000);
    expect(readdirSync(dir)).toEqual([]); // its directory goes with it
    rmSync(dir, { recursive: true, force: true });
  });
});
