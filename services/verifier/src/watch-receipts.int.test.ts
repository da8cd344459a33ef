// WatchReceipts against the real pipeline (NATS, Postgres, calendar, aggregator, ingest and the
// verifier as processes): receipts stream as rounds anchor, by id or for the whole tenant, each once,
// each verifying offline with the calendar key; tenancy as GetReceipt.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { encodeImprint, formatUuid, imprintOf, mintUuidV7, parseVerifierKey, verifyReceipt } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { eventV1, receiptV1, verifierV1 } from '@msi/proto';
import { type Pipeline, startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  type FreshDatabase,
  freePort,
  repositoryRoot,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import { joinReceiptParts, receiptFromProto } from '@msi/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitEvents } from './emit.test-helper.js';

const prefix = uniquePrefix();
const crypto = { hasher: nodeHasher(), ed25519: nodeEd25519() };
const KEYS = [
  { key: 'acme-emitter', tenant: 'acme', principal: 'acme-etl', roles: ['emitter' as const] },
  { key: 'beta-emitter', tenant: 'beta', principal: 'beta-etl', roles: ['emitter' as const] },
  { key: 'acme-auditor', tenant: 'acme', principal: 'acme-audit', roles: ['auditor' as const] },
];
let pipeline: Pipeline;
let database: FreshDatabase;
let workDir: string;
let client: verifierV1.VerifierServiceClient;
const logs: string[] = [];

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'watch_receipts');
  workDir = await mkdtemp(join(tmpdir(), 'msi-watch-receipts-'));
  pipeline = await startPipeline({
    root: repositoryRoot(),
    workDir,
    natsUrl,
    databaseUrl: database.url,
    prefix,
    shards: 2,
    roundIntervalMs: 500,
    aggregators: 1,
    ingestPort: await freePort(),
    verifierPort: await freePort(),
    apiKeys: KEYS,
    onLine: ({ name, line }) => logs.push(`${name} | ${line}`),
  });
  await pipeline.waitUntilServing(30_000);
  client = new verifierV1.VerifierServiceClient(pipeline.verifierAddress ?? '', credentials.createInsecure());
}, 90_000);

afterAll(async () => {
  client?.close();
  await pipeline?.stop();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

const auth = (apiKey: string): Metadata => {
  const m = new Metadata();
  if (apiKey !== '') m.set('authorization', `Bearer ${apiKey}`);
  return m;
};
const newId = () =>
  Buffer.from(mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16))));
const imprint = (text: string) =>
  Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(text))));

function store(n: number, extra: Partial<eventV1.DataEvent> = {}): eventV1.DataEvent {
  return eventV1.DataEvent.fromPartial({
    eventId: newId(),
    kind: eventV1.EventKind.EVENT_KIND_STORE,
    data: imprint(`watched-${n}-${Math.random()}`),
    actor: 'alice',
    occurredAtUs: BigInt(Date.now() * 1000),
    ...extra,
  });
}

async function submit(apiKey: string, events: eventV1.DataEvent[]): Promise<void> {
  const acks = await emitEvents(pipeline.ingestAddress, apiKey, events);
  expect(acks.map((a) => a.duplicate)).toEqual(events.map(() => false));
}

interface Watched {
  readonly messages: verifierV1.WatchReceiptsResponse[];
  readonly ended: 'ok' | ServiceError;
}

/** Reads a WatchReceipts stream until it ends, fails, or `until` says enough (then cancels it). */
function watch(
  request: Partial<verifierV1.WatchReceiptsRequest>,
  apiKey: string,
  options: { timeoutMs?: number; until?: (messages: verifierV1.WatchReceiptsResponse[]) => boolean } = {},
): Promise<Watched> {
  const messages: verifierV1.WatchReceiptsResponse[] = [];
  const stream = client.watchReceipts(verifierV1.WatchReceiptsRequest.fromPartial(request), auth(apiKey), {
    deadline: Date.now() + (options.timeoutMs ?? 30_000),
  });
  return new Promise((resolve) => {
    stream.on('data', (m: verifierV1.WatchReceiptsResponse) => {
      messages.push(m);
      if (options.until?.(messages) === true) {
        stream.cancel();
        resolve({ messages, ended: 'ok' });
      }
    });
    stream.on('error', (error: ServiceError) => {
      if (error.code !== status.CANCELLED) resolve({ messages, ended: error });
    });
    stream.on('end', () => resolve({ messages, ended: 'ok' }));
  });
}

const received = (messages: verifierV1.WatchReceiptsResponse[]) => messages.flatMap((m) => m.receipts);
const idsOf = (receipts: verifierV1.WatchedReceipt[]) => receipts.map((r) => formatUuid(r.eventId));
const trust = () => ({ logKeys: [parseVerifierKey(pipeline.verifierKey)] });

describe('WatchReceipts (real pipeline)', () => {
  it('streams the receipts of the listed events once each as their rounds anchor, then ends', async () => {
    const acme = [store(1), store(2), store(3)];
    const transferToAcme = store(4, { kind: eventV1.EventKind.EVENT_KIND_TRANSFER, toTenant: 'acme' });
    const watching = watch({ eventIds: [...acme, transferToAcme].map((e) => e.eventId) }, 'acme-auditor');
    await submit('acme-emitter', acme);
    await submit('beta-emitter', [transferToAcme]);
    const { messages, ended } = await watching;
    expect(ended).toBe('ok');
    const receipts = received(messages);
    expect(idsOf(receipts).sort()).toEqual(
      [...acme, transferToAcme].map((e) => formatUuid(e.eventId)).sort(),
    );
    for (const { eventId, receipt } of receipts) {
      const proven = verifyReceipt(receiptFromProto(receipt as NonNullable<typeof receipt>), trust(), crypto);
      expect(formatUuid(proven.event.eventId)).toBe(formatUuid(eventId));
    }
    for (const m of messages) {
      for (const r of m.receipts)
        expect(
          BigInt(receiptFromProto(r.receipt as NonNullable<typeof r.receipt>).roundProof.leafIndex),
        ).toBe(m.round);
      expect(m.nextRound).toBeGreaterThanOrEqual(m.round);
    }
  });

  it('delivers ids already anchored at once, and sees none of another tenant', async () => {
    const anchored = store(5);
    const other = store(6);
    await submit('acme-emitter', [anchored]);
    await submit('beta-emitter', [other]);
    const first = await watch({ eventIds: [anchored.eventId] }, 'acme-auditor');
    expect(idsOf(received(first.messages))).toEqual([formatUuid(anchored.eventId)]);
    // beta's own event is not acme's to watch: the stream waits for it until its deadline
    const invisible = await watch({ eventIds: [other.eventId] }, 'acme-auditor', { timeoutMs: 2500 });
    expect(invisible.messages.flatMap((m) => m.receipts)).toEqual([]);
    expect(invisible.ended).toMatchObject({ code: status.DEADLINE_EXCEEDED });
  });

  it('streams the whole tenant from a round, in order, each event once, and resumes from next_round', async () => {
    const batch = Array.from({ length: 300 }, (_, i) => store(100 + i));
    await submit('acme-emitter', batch);
    const wanted = new Set(batch.map((e) => formatUuid(e.eventId)));
    const seen = (messages: verifierV1.WatchReceiptsResponse[]) =>
      idsOf(received(messages)).filter((id) => wanted.has(id)).length;
    const all = await watch({ fromRound: 0n }, 'acme-auditor', { until: (m) => seen(m) === batch.length });
    const ids = idsOf(received(all.messages));
    expect(new Set(ids).size).toBe(ids.length); // once each
    expect(ids.filter((id) => wanted.has(id))).toHaveLength(batch.length);
    const rounds = all.messages.map((m) => Number(m.round));
    expect(rounds).toEqual([...rounds].sort((a, b) => a - b));
    for (const { receipt } of received(all.messages)) {
      const proven = verifyReceipt(receiptFromProto(receipt as NonNullable<typeof receipt>), trust(), crypto);
      expect(['acme', 'beta']).toContain(proven.event.tenant);
      if (proven.event.tenant === 'beta') expect(proven.event.toTenant).toBe('acme');
    }
    expect(all.messages.every((m) => m.receipts.length <= 256)).toBe(true);
    // resume: a stream from the last next_round repeats no receipt of an earlier round
    const last = all.messages.at(-1);
    const resumed = await watch({ fromRound: last?.nextRound ?? 0n }, 'acme-auditor', {
      timeoutMs: 1500,
    });
    const before = new Set(
      all.messages.filter((m) => m.round < (last?.nextRound ?? 0n)).flatMap((m) => idsOf(m.receipts)),
    );
    expect(idsOf(received(resumed.messages)).filter((id) => before.has(id))).toEqual([]);
  });

  it('with shared_anchors, sends each anchor of a message once and the receipts join into the same ones', async () => {
    const batch = Array.from({ length: 300 }, (_, i) => store(1000 + i));
    await submit('acme-emitter', batch);
    const wanted = new Set(batch.map((e) => formatUuid(e.eventId)));
    const until = (messages: verifierV1.WatchReceiptsResponse[]) =>
      idsOf(received(messages)).filter((id) => wanted.has(id)).length === batch.length;
    const shared = await watch({ fromRound: 0n, sharedAnchors: true }, 'acme-auditor', { until });
    const whole = await watch({ fromRound: 0n }, 'acme-auditor', { until });
    const wholeById = new Map(
      received(whole.messages).map((r) => [formatUuid(r.eventId), r.receipt as receiptV1.Receipt]),
    );
    let joined = 0;
    for (const m of shared.messages) {
      // Each anchor once, each one used, none of them carrying an event.
      const anchorBytes = m.anchors.map((a) =>
        Buffer.from(receiptV1.Receipt.encode(a).finish()).toString('hex'),
      );
      expect(new Set(anchorBytes).size).toBe(m.anchors.length);
      expect(new Set(m.receipts.map((r) => r.anchor)).size).toBe(m.anchors.length);
      expect(m.anchors.every((a) => a.event.length === 0 && a.eventProof === undefined)).toBe(true);
      if (m.receipts.length > 0) expect(m.anchors.length).toBeLessThan(m.receipts.length + 1);
      for (const r of m.receipts) {
        expect(r.receipt?.seal).toHaveLength(0);
        const anchor = m.anchors[r.anchor] as receiptV1.Receipt;
        const receipt = receiptFromProto(joinReceiptParts(anchor, r.receipt as receiptV1.Receipt));
        const proven = verifyReceipt(receipt, trust(), crypto);
        expect(formatUuid(proven.event.eventId)).toBe(formatUuid(r.eventId));
        expect(BigInt(receipt.roundProof.leafIndex)).toBe(m.round);
        // The same receipt as the whole form, up to the checkpoint each stream was served against.
        const other = receiptFromProto(wholeById.get(formatUuid(r.eventId)) as receiptV1.Receipt);
        expect({ ...receipt, checkpoint: '', roundProof: undefined }).toEqual({
          ...other,
          checkpoint: '',
          roundProof: undefined,
        });
        joined += 1;
      }
    }
    expect(joined).toBe(received(whole.messages).length);
    // A tenant's receipts share their seals: far fewer anchors than receipts.
    const anchors = shared.messages.reduce((n, m) => n + m.anchors.length, 0);
    expect(anchors).toBeLessThan(joined / 4);
  });

  it('refuses bad requests and callers as GetReceipt does', async () => {
    const short = await watch({ eventIds: [Buffer.alloc(15)] }, 'acme-auditor');
    expect(short.ended).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((short.ended as ServiceError).details).toContain('event_ids[0]');
    const id = newId();
    const repeated = await watch({ eventIds: [id, id] }, 'acme-auditor');
    expect(repeated.ended).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((await watch({}, '')).ended).toMatchObject({ code: status.UNAUTHENTICATED });
    expect((await watch({}, 'acme-emitter')).ended).toMatchObject({ code: status.PERMISSION_DENIED });
    const many = Array.from({ length: 10_001 }, () => newId());
    expect((await watch({ eventIds: many }, 'acme-auditor')).ended).toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });
});
