// Receipts served at rate, against the real pipeline (NATS, Postgres, calendar, aggregators, ingest
// and the verifier as processes): every acked event's receipt verifies offline; WatchReceipts
// delivers each listed id and each event of the tenant once; the receipt cache (hot index, anchors,
// seal trees, rounds, calendar proofs) answers exactly what storage answers, and keeps answering
// the proof it checked even when a stored row is changed afterwards (its material never changes).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  encodeImprint,
  formatUuid,
  imprintOf,
  mintUuidV7,
  parseVerifierKey,
  receiptToJson,
  verifyReceipt,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { createPool, type Pool } from '@msi/postgres';
import { eventV1, verifierV1 } from '@msi/proto';
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
import { receiptFromProto } from '@msi/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitEvents } from './emit.test-helper.js';
import { EventFinder, ReceiptCache, receiptOf } from './receipt-store.js';
import { SCHEMA } from './schema.js';
import { VerifierError } from './verifier-error.js';

const prefix = uniquePrefix();
const crypto = { hasher: nodeHasher(), ed25519: nodeEd25519() };
const KEYS = [
  { key: 'acme-emitter', tenant: 'acme', principal: 'acme-etl', roles: ['emitter' as const] },
  { key: 'acme-auditor', tenant: 'acme', principal: 'acme-audit', roles: ['auditor' as const] },
];
const EVENTS = 3000;
let pipeline: Pipeline;
let database: FreshDatabase;
let workDir: string;
let client: verifierV1.VerifierServiceClient;
const acked: Buffer[] = [];
const logs: string[] = [];

const auth = (apiKey: string): Metadata => {
  const m = new Metadata();
  m.set('authorization', `Bearer ${apiKey}`);
  return m;
};
const newId = () =>
  Buffer.from(mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16))));
const imprint = (text: string) =>
  Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(text))));
const trust = () => ({ logKeys: [parseVerifierKey(pipeline.verifierKey)] });

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'receipt_serving');
  workDir = await mkdtemp(join(tmpdir(), 'msi-receipt-serving-'));
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
  for (let i = 0; i < EVENTS; i += 1000) {
    const events = Array.from({ length: 1000 }, (_, j) =>
      eventV1.DataEvent.fromPartial({
        eventId: newId(),
        kind: eventV1.EventKind.EVENT_KIND_STORE,
        data: imprint(`served-${i + j}`),
        actor: 'alice',
        occurredAtUs: BigInt(Date.now() * 1000),
      }),
    );
    await emitEvents(pipeline.ingestAddress, 'acme-emitter', events);
    acked.push(...events.map((e) => e.eventId));
  }
}, 120_000);

afterAll(async () => {
  if (logs.some((line) => /"level":"(error|fatal)"/.test(line)))
    console.log(
      logs
        .filter((line) => /"level":"(warn|error|fatal)"/.test(line))
        .slice(-40)
        .join('\n'),
    );
  client?.close();
  await pipeline?.stop();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

function getReceipt(eventId: Buffer): Promise<verifierV1.GetReceiptResponse> {
  return new Promise((resolve, reject) => {
    client.getReceipt(
      { eventId, wait: true },
      auth('acme-auditor'),
      { deadline: Date.now() + 30_000 },
      (e, r) => (e !== null || r === undefined ? reject(e) : resolve(r)),
    );
  });
}

/** The receipts a WatchReceipts stream delivers until `enough` of them (then cancelled) or it ends. */
function watch(
  request: Partial<verifierV1.WatchReceiptsRequest>,
  enough: number,
): Promise<verifierV1.WatchedReceipt[]> {
  const receipts: verifierV1.WatchedReceipt[] = [];
  const stream = client.watchReceipts(
    verifierV1.WatchReceiptsRequest.fromPartial(request),
    auth('acme-auditor'),
    {
      deadline: Date.now() + 60_000,
    },
  );
  return new Promise((resolve, reject) => {
    stream.on('data', (m: verifierV1.WatchReceiptsResponse) => {
      receipts.push(...m.receipts);
      if (receipts.length >= enough) {
        stream.cancel();
        resolve(receipts);
      }
    });
    stream.on('error', (error: ServiceError) => {
      if (error.code === status.CANCELLED) resolve(receipts);
      else reject(error);
    });
    stream.on('end', () => resolve(receipts));
  });
}

describe('receipts at rate (real pipeline)', () => {
  it('every acked event gets a receipt that verifies offline', async () => {
    expect(acked).toHaveLength(EVENTS);
    // 100 callers at a time, each asking in turn (with `wait`: the last rounds may still be closing).
    const responses: verifierV1.GetReceiptResponse[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        for (let i = next++; i < acked.length; i = next++)
          responses[i] = await getReceipt(acked[i] as Buffer);
      }),
    );
    // The verifier process answers from its hot index, fed by the projector as seals commit: the
    // event's part of each receipt (event, its proof, seal, seal proof) is what storage proves.
    const pool: Pool = createPool({ connectionString: database.url });
    try {
      for (const [i, response] of responses.entries()) {
        if (i % 50 !== 0) continue;
        const row = await new EventFinder(pool).find(acked[i] ?? Buffer.alloc(0), 'acme');
        const stored = await receiptOf(
          pool,
          crypto.hasher,
          row as NonNullable<typeof row>,
          new ReceiptCache({ bytes: 0 }),
        );
        const served = receiptFromProto(response.receipt as NonNullable<typeof response.receipt>);
        // The same receipt but for the checkpoint (and so the round's proof), which moves with rounds.
        const sameCheckpoint = { ...served, roundProof: stored.roundProof, checkpoint: stored.checkpoint };
        expect(receiptToJson(sameCheckpoint)).toBe(receiptToJson(stored));
      }
    } finally {
      await pool.end();
    }
    responses.forEach((response, i) => {
      const proven = verifyReceipt(
        receiptFromProto(response.receipt as NonNullable<typeof response.receipt>),
        trust(),
        crypto,
      );
      expect(formatUuid(proven.event.eventId)).toBe(formatUuid(acked[i] ?? Buffer.alloc(0)));
    });
  }, 120_000);

  it('streams each listed id once, and each event of the tenant once', async () => {
    const listed = await watch({ eventIds: acked }, Number.MAX_SAFE_INTEGER);
    const listedIds = listed.map((r) => formatUuid(r.eventId));
    expect(new Set(listedIds).size).toBe(listedIds.length);
    expect(listedIds.sort()).toEqual(acked.map((id) => formatUuid(id)).sort());
    const all = await watch({ fromRound: 0n }, EVENTS);
    const ids = all.map((r) => formatUuid(r.eventId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(acked.map((id) => formatUuid(id)).sort());
    for (const { receipt } of all.slice(0, 100)) {
      verifyReceipt(receiptFromProto(receipt as NonNullable<typeof receipt>), trust(), crypto);
    }
  }, 120_000);

  it('serves from its cache exactly what storage proves, and keeps the proof it checked', async () => {
    await pipeline.stop(); // freeze the projection: the newest checkpoint no longer moves
    const pool: Pool = createPool({ connectionString: database.url });
    try {
      const warm = new ReceiptCache();
      const finder = new EventFinder(pool, { cache: warm });
      const served = async (cache: ReceiptCache, id: Buffer) => {
        const row = await new EventFinder(pool, { cache }).find(id, 'acme');
        return receiptToJson(await receiptOf(pool, crypto.hasher, row as NonNullable<typeof row>, cache));
      };
      const sample = acked.filter((_, i) => i % 10 === 0);
      const first: string[] = [];
      for (const id of sample) first.push(await served(warm, id));
      expect(warm.bytes).toBeGreaterThan(0);
      for (const [i, id] of sample.entries()) {
        const row = await finder.find(id, 'acme'); // from the hot index now
        const cached = receiptToJson(
          await receiptOf(pool, crypto.hasher, row as NonNullable<typeof row>, warm),
        );
        const uncached = await served(new ReceiptCache({ bytes: 0 }), id);
        expect(cached).toBe(first[i]);
        expect(uncached).toBe(cached);
      }
      // Change a stored seal level under the cache: storage no longer proves the event (TAMPERED),
      // while the cache still answers the receipt it checked when it read it, which verifies.
      const id = sample[0] ?? Buffer.alloc(0);
      const { rows } = await pool.query(`SELECT seal_seq FROM ${SCHEMA}.sealed_events WHERE event_id = $1`, [
        id,
      ]);
      await pool.query(
        `UPDATE ${SCHEMA}.seal_levels SET hashes = decode(repeat('00', length(hashes)), 'hex') WHERE seal_seq = $1`,
        [rows[0]?.seal_seq],
      );
      await expect(served(new ReceiptCache({ bytes: 0 }), id)).rejects.toSatisfy(
        (error: unknown) => error instanceof VerifierError && error.code === 'TAMPERED',
      );
      const kept = await served(warm, id);
      expect(kept).toBe(first[0]);
      // Its leaves gone: the tree cannot be rebuilt, TAMPERED too
      await pool.query(`DELETE FROM ${SCHEMA}.seal_levels WHERE seal_seq = $1 AND level = 0`, [
        rows[0]?.seal_seq,
      ]);
      await expect(served(new ReceiptCache({ bytes: 0 }), id)).rejects.toSatisfy(
        (error: unknown) =>
          error instanceof VerifierError &&
          error.code === 'TAMPERED' &&
          /tree is not stored/.test(error.message),
      );
    } finally {
      await pool.end();
    }
  }, 60_000);
});
