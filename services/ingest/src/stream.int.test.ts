import { type ServiceError, status } from '@grpc/grpc-js';
import { decodeEvent, eventLeafHash } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { type eventV1, ingestV1 } from '@msi/proto';
import { useWorld } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientFor,
  durableOf,
  KEYS,
  sampleEvent,
  snapshot,
  startTestIngest,
  testEnv,
  writeCredentials,
} from './ingest.test-helper.js';
import type { RunningIngest } from './ingest-server.js';

const world = useWorld({ label: 'ingest_stream' });
const { natsUrl, prefix } = world;
const WINDOW = 4;
/** The batch limit, which is also the most events a stream submits as one group of a turn's requests. */
const MAX_BATCH = 50;
let ingest: RunningIngest;
let client: ingestV1.IngestServiceClient;

beforeAll(async () => {
  ingest = await startTestIngest(
    testEnv(natsUrl, prefix, writeCredentials(), {
      MSI_INGEST_STREAM_WINDOW: String(WINDOW),
      MSI_INGEST_MAX_BATCH: String(MAX_BATCH),
    }),
  );
  client = clientFor(ingest.port, KEYS.acme);
});

afterAll(async () => {
  client?.close();
  await ingest?.close(1000);
});

interface StreamRun {
  readonly responses: ingestV1.SubmitStreamResponse[];
  readonly error: ServiceError | undefined;
  /** The most requests the client ever had unanswered. */
  readonly maxOutstanding: number;
}

/**
 * Sends `requests` on one SubmitStream (sequence 1, 2, …). With `respectCredit`, waits for credit
 * before each send; otherwise sends everything at once. Half-closes after the last request.
 */
function runStream(
  target: ingestV1.IngestServiceClient,
  requests: readonly (readonly eventV1.DataEvent[])[],
  options: { respectCredit: boolean; sequenceOf?: (index: number) => bigint },
): Promise<StreamRun> {
  return new Promise((resolve) => {
    const call = target.submitStream();
    const responses: ingestV1.SubmitStreamResponse[] = [];
    let sent = 0;
    let allowedThrough = 0n;
    let through = 0n;
    let maxOutstanding = 0;
    const pump = () => {
      while (sent < requests.length && (!options.respectCredit || BigInt(sent + 1) <= allowedThrough)) {
        const events = requests[sent] ?? [];
        sent += 1;
        call.write({ sequence: options.sequenceOf?.(sent - 1) ?? BigInt(sent), events: [...events] });
        maxOutstanding = Math.max(maxOutstanding, sent - Number(through));
      }
      if (sent === requests.length) call.end();
    };
    call.on('data', (response: ingestV1.SubmitStreamResponse) => {
      responses.push(response);
      through = response.through;
      allowedThrough = response.through + BigInt(response.credit);
      pump();
    });
    call.on('error', (error: ServiceError) => resolve({ responses, error, maxOutstanding }));
    call.on('end', () => resolve({ responses, error: undefined, maxOutstanding }));
    if (!options.respectCredit) pump();
  });
}

/** Checks that responses settle 1..n exactly once, in order, and returns all acks. */
function settled(responses: readonly ingestV1.SubmitStreamResponse[], n: number): ingestV1.EventAck[] {
  const [grant, ...acked] = responses;
  expect(grant).toMatchObject({ through: 0n, from: 0n, acks: [], credit: WINDOW });
  let next = 1n;
  for (const response of acked) {
    expect(response.from).toBe(next);
    expect(response.through).toBeGreaterThanOrEqual(response.from);
    expect(response.credit).toBe(WINDOW);
    next = response.through + 1n;
  }
  expect(next).toBe(BigInt(n + 1));
  return acked.flatMap((response) => response.acks);
}

describe('SubmitStream', () => {
  it('acks cumulatively, covering every event in order, within the credit it grants', async () => {
    const requests = Array.from({ length: 30 }, (_, i) =>
      Array.from({ length: (i % 3) + 1 }, () => sampleEvent()),
    );
    const run = await runStream(client, requests, { respectCredit: true });
    expect(run.error).toBeUndefined();
    expect(run.maxOutstanding).toBeLessThanOrEqual(WINDOW);
    const acks = settled(run.responses, requests.length);
    const events = requests.flat();
    expect(acks.map((ack) => ack.eventId)).toEqual(events.map((event) => event.eventId));
    const { events: stored } = await snapshot(natsUrl, prefix);
    const leaves = new Set(
      stored.map((bytes) => Buffer.from(eventLeafHash(nodeHasher(), bytes)).toString('hex')),
    );
    for (const ack of acks) expect(leaves.has(durableOf(ack).leafHash.toString('hex'))).toBe(true);
  });

  it('pauses reading, without failing, for a client that ignores the credit', async () => {
    const requests = Array.from({ length: 60 }, () => [sampleEvent()]);
    const run = await runStream(client, requests, { respectCredit: false });
    expect(run.error).toBeUndefined();
    expect(settled(run.responses, requests.length)).toHaveLength(60);
  });

  it('answers a resubmitted event with its original ack', async () => {
    const event = sampleEvent();
    const first = await runStream(client, [[event]], { respectCredit: true });
    const again = await runStream(client, [[event], [event]], { respectCredit: true });
    const [original] = settled(first.responses, 1);
    const repeats = settled(again.responses, 2);
    for (const ack of repeats) {
      expect(durableOf(ack).leafHash).toEqual(durableOf(original).leafHash);
      expect(durableOf(ack).duplicate).toBe(true);
    }
  });

  it('answers requests sent together in order when they hold more events than one group takes', async () => {
    // A turn's requests are submitted in groups of at most MAX_BATCH events: these 8 × 20 sent at once
    // arrive together and make several groups.
    const requests = Array.from({ length: 8 }, () => Array.from({ length: 20 }, () => sampleEvent()));
    const run = await runStream(client, requests, { respectCredit: false });
    expect(run.error).toBeUndefined();
    const acks = settled(run.responses, requests.length);
    expect(acks.map((ack) => ack.eventId)).toEqual(requests.flat().map((event) => event.eventId));
    for (const ack of acks) expect(durableOf(ack).duplicate).toBe(false);
  });

  it('answers an id repeated across messages sent together once with its leaf, then as duplicates', async () => {
    // Messages that arrive together are submitted together: the repeats share one claim race.
    const event = sampleEvent();
    const other = sampleEvent({ eventId: event.eventId, data: event.data, actor: 'mallory' });
    const run = await runStream(client, [[event], [event], [other], [sampleEvent()]], {
      respectCredit: false,
    });
    expect(run.error).toBeUndefined();
    const [first, repeat, conflicting] = settled(run.responses, 4);
    expect(durableOf(first).duplicate).toBe(false);
    expect(durableOf(repeat)).toMatchObject({ duplicate: true, leafHash: durableOf(first).leafHash });
    expect(conflicting?.outcome).toMatchObject({
      $case: 'failed',
      value: { code: ingestV1.FailureCode.FAILURE_CODE_ID_CONFLICT },
    });
    const { events: stored } = await snapshot(natsUrl, prefix);
    const id = event.eventId.toString('hex');
    const ids = stored.map((bytes) => Buffer.from(decodeEvent(bytes).eventId).toString('hex'));
    expect(ids.filter((stored) => stored === id)).toHaveLength(1);
  });

  it('ends with INVALID_ARGUMENT naming requests[seq].events[i].field after acking what came before', async () => {
    const bad = sampleEvent({ actor: '' });
    const later = sampleEvent();
    const requests = [[sampleEvent()], [sampleEvent(), sampleEvent()], [sampleEvent(), bad], [later]];
    const run = await runStream(client, requests, { respectCredit: false });
    expect(run.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(run.error?.details.startsWith('requests[3].events[1].actor:')).toBe(true);
    const acks = settled(run.responses, 2);
    expect(acks).toHaveLength(3);
    const { events: stored } = await snapshot(natsUrl, prefix);
    const ids = stored.map((bytes) => Buffer.from(decodeEvent(bytes).eventId).toString('hex'));
    expect(ids).not.toContain(bad.eventId.toString('hex'));
    expect(ids).not.toContain(later.eventId.toString('hex'));
  });

  it('refuses a gap in the sequence', async () => {
    const run = await runStream(client, [[sampleEvent()], [sampleEvent()]], {
      respectCredit: false,
      sequenceOf: (i) => BigInt(i * 2 + 1),
    });
    expect(run.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(run.error?.details.startsWith('requests[3].sequence:')).toBe(true);
    settled(run.responses, 1);
  });

  it('refuses an unauthenticated stream', async () => {
    const anonymous = clientFor(ingest.port);
    const run = await runStream(anonymous, [[sampleEvent()]], { respectCredit: false });
    anonymous.close();
    expect(run.error?.code).toBe(status.UNAUTHENTICATED);
    expect(run.responses).toHaveLength(0);
  });
});
