import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import {
  decodeAggregatedEvent,
  formatUuid,
  imprintOf,
  parseVerifierKey,
  portableEd25519,
  ReceiptError,
  verifyAggregatedReceipt,
} from '@msi/core';
import { portableHasher } from '@msi/merkle';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type MsiClient } from './client.js';
import { MsiClientError } from './client-error.js';
import type { ClientOptions } from './client-options.js';
import { Events } from './event-input.js';
import { FakeIngest, FakeVerifier, LOG_VERIFIER_KEY } from './fake-servers.test-helper.js';
import { FileReceiptStore } from './file-receipt-store.js';
import { MemoryReceiptStore } from './memory-receipt-store.js';

const data = (n: number) => imprintOf('sha256', new TextEncoder().encode(`item-${n}`));
const store = (n: number) => Events.store({ data: data(n), actor: 'etl', destination: { system: 's3' } });
const trust = { logKeys: [parseVerifierKey(LOG_VERIFIER_KEY)] };
const crypto = { hasher: portableHasher(), ed25519: portableEd25519() };
const clients: MsiClient[] = [];

function client(
  options: Partial<ClientOptions> = {},
  ingest = new FakeIngest(),
  verifier = new FakeVerifier(ingest),
) {
  const c = createClient(
    {
      ingest: '127.0.0.1:1',
      verifier: '127.0.0.1:2',
      batching: { lingerMs: 2, maxEvents: 3 },
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
      ...options,
      receipts: {
        store: new MemoryReceiptStore(),
        logKeys: [LOG_VERIFIER_KEY],
        coalesceMs: 1,
        ...options.receipts,
      },
    },
    { ingest, verifier },
  );
  clients.push(c);
  return { c, ingest, verifier };
}

async function failure(promise: Promise<unknown>): Promise<MsiClientError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof MsiClientError) return error;
    throw error;
  }
  throw new Error('did not fail');
}

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
});

describe('individual events', () => {
  it('are batched by size and linger time, and resolve durable with their ack', async () => {
    const { c, ingest } = client();
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => c.emit(store(i))));
    expect(ingest.batches.map((b) => b.length)).toEqual([3, 3, 1]);
    for (const r of results) {
      expect(r).toMatchObject({ mode: 'individual', duplicate: false, shard: 0 });
      if (r.mode === 'individual') expect(r.leafHash).toHaveLength(32);
    }
  });

  it('are retried with the same ids after a failed call and a failed ack, and made durable once', async () => {
    const { c, ingest } = client();
    ingest.behaviour = (_events, call) =>
      call === 0
        ? { fail: { code: status.UNAVAILABLE, details: 'connection reset' } }
        : call === 1
          ? { acks: ['failed', 'durable', 'durable'] }
          : undefined;
    const results = await Promise.all([0, 1, 2].map((i) => c.emit(store(i))));
    const ids = (batch: { eventId: Uint8Array }[]) => batch.map((e) => formatUuid(e.eventId)).sort();
    expect(ids(ingest.batches[0] ?? [])).toEqual(ids(ingest.batches[1] ?? []));
    expect(ingest.batches[2]?.map((e) => formatUuid(e.eventId))).toEqual([
      formatUuid(results[0]?.eventId as Uint8Array),
    ]);
    expect(ingest.durable.size).toBe(3);
  });

  it('are not retried when ingest answers a final code (the id taken by other content)', async () => {
    const { c, ingest } = client();
    ingest.behaviour = (_e, call) => (call === 0 ? { acks: ['durable', 'conflict', 'durable'] } : undefined);
    const results = await Promise.allSettled([0, 1, 2].map((i) => c.emit(store(i))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'INVALID_EVENT',
      field: 'event_id',
    });
    expect(ingest.batches).toHaveLength(1);
  });

  it('refuse an event the client can check, naming its field, before sending anything', async () => {
    const { c, ingest } = client();
    expect(await failure(c.emit(Events.store({ data: data(1), actor: '' })))).toMatchObject({
      code: 'INVALID_EVENT',
      field: 'actor',
    });
    expect(await failure(c.emit(Events.store({ data: 'sha256:12', actor: 'a' })))).toMatchObject({
      code: 'INVALID_EVENT',
      field: 'data',
    });
    expect(
      await failure(c.emit(Events.process({ data: data(1), actor: 'a', inputs: [], outputs: [data(2)] }))),
    ).toMatchObject({ code: 'INVALID_EVENT', field: 'inputs' });
    expect(ingest.batches).toEqual([]);
  });

  it('an event ingest refuses fails alone; the others of its batch are sent again', async () => {
    const { c, ingest } = client();
    ingest.behaviour = (_e, call) =>
      call === 0
        ? {
            fail: {
              code: status.INVALID_ARGUMENT,
              details: 'events[1].occurred_at_us: too far in the future',
            },
          }
        : undefined;
    const results = await Promise.allSettled([0, 1, 2].map((i) => c.emit(store(i))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refused = (results[1] as PromiseRejectedResult).reason as MsiClientError;
    expect(refused).toMatchObject({ code: 'INVALID_EVENT', field: 'occurred_at_us' });
    expect(refused.message).toContain('too far in the future');
  });

  it('fail with UNAUTHENTICATED when ingest refuses the credentials, and TIMEOUT when it never answers durable', async () => {
    const { c, ingest } = client({ retry: { initialDelayMs: 1, maxDelayMs: 2, giveUpAfterMs: 30 } });
    ingest.behaviour = () => ({ fail: { code: status.UNAUTHENTICATED, details: 'unknown API key' } });
    expect(await failure(c.emit(store(1)))).toMatchObject({ code: 'UNAUTHENTICATED' });
    ingest.behaviour = () => ({ fail: { code: status.UNAVAILABLE, details: 'down' } });
    const timeout = await failure(c.emit(store(2)));
    expect(timeout.code).toBe('TIMEOUT');
    expect(timeout.message).toContain('down');
  });

  it('a full queue rejects with QUEUE_FULL when told to, and makes emit wait otherwise', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = new FakeIngest();
    const submit = slow.submitBatch.bind(slow);
    slow.submitBatch = async (events) => {
      await gate;
      return submit(events);
    };
    const rejecting = client(
      { queue: { maxEvents: 2, whenFull: 'reject' }, batching: { maxEvents: 1, lingerMs: 0 } },
      slow,
    );
    const first = [rejecting.c.emit(store(1)), rejecting.c.emit(store(2))];
    const full = await failure(rejecting.c.emit(store(3)));
    expect(full.code).toBe('QUEUE_FULL');
    expect(full.message).toContain('queue.maxEvents 2');
    const waiting = client({ queue: { maxEvents: 1 }, batching: { maxEvents: 1, lingerMs: 0 } }, slow);
    const a = waiting.c.emit(store(4));
    let bDone = false;
    const b = waiting.c.emit(store(5)).then(() => {
      bDone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(bDone).toBe(false);
    release();
    await Promise.all([...first, a, b]);
    expect(bDone).toBe(true);
  });

  it('close() sends what is queued; emitting on a closed client is CLOSED', async () => {
    const { c, ingest } = client({ batching: { lingerMs: 1000, maxEvents: 100 } });
    const queued = [c.emit(store(1)), c.emit(store(2))];
    await c.close();
    expect(ingest.durable.size).toBe(2);
    await Promise.all(queued);
    const closed = await failure(c.emit(store(3)));
    expect(closed.code).toBe('CLOSED');
    expect(closed.message).toContain('closed');
  });

  it('receipts of individual events arrive verified, through the store and onReceipt', async () => {
    const seen: string[] = [];
    const receipts = new MemoryReceiptStore();
    const { c, verifier } = client({
      receipts: { store: receipts, individual: true, onReceipt: (r) => seen.push(r.eventId) },
    });
    verifier.failNext = { code: status.UNAVAILABLE, details: 'verifier restarting' };
    const emitted = await Promise.all([1, 2, 3].map((i) => c.emit(store(i))));
    await c.anchored();
    const ids = emitted.map((e) => formatUuid(e.eventId));
    expect(seen.sort()).toEqual([...ids].sort());
    for (const id of ids) expect(await receipts.getReceipt(id)).toMatch(/^\{"checkpoint":/);
    expect(verifier.streams.length).toBeGreaterThan(1); // the failed stream was opened again
  });

  it('receipts sent whole (by a verifier older than shared anchors) arrive verified too', async () => {
    // The default fake shares anchors in reverse order, so the test above checks the joining.
    const ingest = new FakeIngest();
    const verifier = new FakeVerifier(ingest);
    verifier.form = 'whole';
    const receipts = new MemoryReceiptStore();
    const { c } = client({ receipts: { store: receipts, individual: true } }, ingest, verifier);
    const emitted = await Promise.all([1, 2, 3].map((i) => c.emit(store(i))));
    await c.anchored();
    for (const e of emitted)
      expect(await receipts.getReceipt(formatUuid(e.eventId))).toMatch(/^\{"checkpoint":/);
  });

  it('a receipt naming an anchor its message lacks is refused as malformed', async () => {
    const ingest = new FakeIngest();
    const verifier = new FakeVerifier(ingest);
    verifier.form = 'bad-anchor';
    const { c } = client({ receipts: { individual: true } }, ingest, verifier);
    await c.emit(store(1));
    const refused = await failure(c.anchored());
    expect(refused.code).toBe('RECEIPT_INVALID');
    expect(refused.message).toMatch(/receipts\[0\]\.anchor/);
  });
});

describe('aggregated events', () => {
  it('go into local trees whose root event alone is submitted; every receipt v2 verifies offline', async () => {
    const anchoredTrees: string[] = [];
    const { c, ingest } = client({
      aggregation: { intervalMs: 60_000, maxLeaves: 4 },
      receipts: { onTreeAnchored: (t) => anchoredTrees.push(t.treeId) },
    });
    const emitted = [];
    for (let i = 0; i < 10; i++) emitted.push(await c.emit(store(i), { mode: 'aggregated' }));
    const writer = c.aggregateTemplate({ kind: 'ACCESS', actor: 'reader', dataAlgorithm: 'sha256' });
    const sequence = writer.tryEmit(data(99).digest, 1_764_000_000_000_000);
    await c.close({ waitForReceipts: true });
    // 11 events: trees of 4, 4 and 3 (the last sealed by close)
    expect(ingest.batches.flat()).toHaveLength(3);
    expect(anchoredTrees).toHaveLength(3);
    const trees = await c.trees();
    expect(trees.every((t) => t.anchored)).toBe(true);
    let verified = 0;
    for (const { treeId } of trees) {
      const bundle = await c.bundle(treeId);
      for (const { json, index } of bundle.receipts()) {
        const proven = verifyAggregatedReceipt(json, { ...trust, strict: true }, crypto);
        expect(proven).toMatchObject({ tenant: 'acme', submitter: 'gw', leafIndex: index });
        verified++;
      }
    }
    expect(verified).toBe(11);
    const first = emitted[0];
    if (first?.mode !== 'aggregated') throw new Error('not aggregated');
    const bundle = await c.bundle(first.treeId);
    expect(decodeAggregatedEvent(bundle.event(first.index)).eventId).toEqual(first.eventId);
    const located = writer.locate(sequence);
    expect(
      decodeAggregatedEvent((await c.bundle(located?.treeId ?? '')).event(located?.index ?? -1)),
    ).toMatchObject({
      kind: 'ACCESS',
      actor: 'reader',
    });
    const text = new TextDecoder().decode(bundle.receipt(first.index));
    const mutated = text.replace('"leafIndex":0', '"leafIndex":1');
    expect(() => verifyAggregatedReceipt(mutated, trust, crypto)).toThrow(ReceiptError);
  });

  it('seals a tree per interval even when the caller emits in a tight loop (the timer never runs)', async () => {
    let clock = 1_764_000_000_000;
    const { c, ingest } = client({ aggregation: { intervalMs: 1000 }, now: () => clock });
    const writer = c.aggregateTemplate({ kind: 'STORE', actor: 'a', dataAlgorithm: 'sha256' });
    for (let i = 0; i < 5000; i++) {
      writer.tryEmit(data(i).digest);
      clock += 1; // 1 ms per event: 5 intervals, never yielding to the event loop
    }
    await c.flush();
    const roots = ingest.batches.flat();
    expect(roots.length).toBeGreaterThanOrEqual(4);
    expect(roots.length).toBeLessThanOrEqual(6);
  });

  it('NOT_AGGREGATED without the option; CLOSED after close; QUEUE_FULL at maxPendingEvents', async () => {
    const plain = client();
    expect(await failure(plain.c.emit(store(1), { mode: 'aggregated' }))).toMatchObject({
      code: 'NOT_AGGREGATED',
    });
    const never = new FakeIngest();
    never.behaviour = () => ({ fail: { code: status.UNAVAILABLE, details: 'down' } });
    const bounded = client(
      {
        aggregation: { maxPendingEvents: 2, intervalMs: 5 },
        queue: { whenFull: 'reject' },
        retry: { initialDelayMs: 1, maxDelayMs: 2, giveUpAfterMs: 50 },
      },
      never,
    );
    await bounded.c.emit(store(1), { mode: 'aggregated' });
    await bounded.c.emit(store(2), { mode: 'aggregated' });
    const full = await failure(bounded.c.emit(store(3), { mode: 'aggregated' }));
    expect(full.code).toBe('QUEUE_FULL');
    expect(full.message).toContain('aggregation.maxPendingEvents');
    const writer = bounded.c.aggregateTemplate({ kind: 'STORE', actor: 'a', dataAlgorithm: 'sha256' });
    expect(writer.tryEmit(new Uint8Array(32))).toBe(-1);
    // its root event never becomes durable: flush reports TIMEOUT once retries give up
    expect(await failure(bounded.c.flush())).toMatchObject({ code: 'TIMEOUT' });
    const closing = createClient(
      {
        ingest: '127.0.0.1:1',
        verifier: '127.0.0.1:2',
        aggregation: {},
        receipts: { store: new MemoryReceiptStore() },
      },
      { ingest: new FakeIngest(), verifier: new FakeVerifier(new FakeIngest()) },
    );
    await closing.close();
    expect(await failure(closing.emit(store(1), { mode: 'aggregated' }))).toMatchObject({ code: 'CLOSED' });
  });

  it('a file store keeps sealed trees: a later client resumes them and anchors them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msi-client-store-'));
    try {
      const ingest = new FakeIngest();
      const silent = new FakeVerifier(ingest);
      silent.watchReceipts = () => ({ done: new Promise(() => {}), cancel: () => {} });
      const first = client(
        { aggregation: { intervalMs: 60_000 }, receipts: { store: new FileReceiptStore(dir) } },
        ingest,
        silent,
      );
      for (let i = 0; i < 5; i++) await first.c.emit(store(i), { mode: 'aggregated' });
      await first.c.close(); // durable, not anchored
      expect((await readdir(dir)).filter((f) => f.endsWith('.root.json'))).toEqual([]);
      const second = client({ aggregation: {}, receipts: { store: new FileReceiptStore(dir) } }, ingest);
      expect(await second.c.resumeTrees()).toBe(1);
      await second.c.anchored();
      const [tree] = await second.c.trees();
      expect(tree?.anchored).toBe(true);
      const bundle = await second.c.bundle(tree?.treeId ?? '');
      expect(bundle.leafCount).toBe(5);
      for (const { json } of bundle.receipts()) verifyAggregatedReceipt(json, trust, crypto);
      const rootJson = await readFile(join(dir, `${tree?.treeId}.root.json`), 'utf8');
      expect(rootJson.endsWith('}\n')).toBe(true);
      expect(ingest.batches.flat().filter((e) => formatUuid(e.eventId) === tree?.treeId)).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('options', () => {
  it('are checked, naming the option', () => {
    const bad = (o: Partial<ClientOptions>) => {
      try {
        createClient({ ingest: '127.0.0.1:1', ...o });
      } catch (error: unknown) {
        return error as MsiClientError;
      }
      return undefined;
    };
    expect(bad({ ingest: 'nowhere' })).toMatchObject({ code: 'INVALID_OPTIONS', field: 'ingest' });
    expect(bad({ batching: { maxEvents: 1001 } })).toMatchObject({ field: 'batching.maxEvents' });
    expect(bad({ aggregation: {} })).toMatchObject({ field: 'verifier' });
    expect(bad({ queue: { whenFull: 'drop' as 'wait' } })).toMatchObject({ field: 'queue.whenFull' });
  });
});
