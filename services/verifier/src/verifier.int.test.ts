import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  decodeRound,
  decodeSeal,
  encodeImprint,
  encodeRound,
  encodeSeal,
  generateNoteKey,
  imprintOf,
  mintUuidV7,
  parseSignerKey,
  parseVerifierKey,
  ReceiptError,
  roundLeafHash,
  signCheckpoint,
  verifyReceipt,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { CompactRange } from '@msi/merkle';
import { connectNats, subjectsFor } from '@msi/nats';
import { eventV1, streamV1, verifierV1 } from '@msi/proto';
import { createLogger } from '@msi/service-kit';
import { type Pipeline, startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  eventually,
  type FreshDatabase,
  freePort,
  repositoryRoot,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from './credentials.js';
import { emitEvents } from './emit.test-helper.js';
import { integritySubject } from './integrity.js';
import { projectionDigest } from './projection-store.js';
import { dropProjection } from './projector.js';
import { SCHEMA } from './schema.js';
import { type RunningTestVerifier, startTestVerifier } from './verifier.test-helper.js';

const prefix = uniquePrefix();
const crypto = { hasher: nodeHasher(), ed25519: nodeEd25519() };
const KEYS = [
  { key: 'acme-emitter', tenant: 'acme', principal: 'acme-etl', roles: ['emitter'] as const },
  { key: 'beta-emitter', tenant: 'beta', principal: 'beta-etl', roles: ['emitter'] as const },
  { key: 'acme-auditor', tenant: 'acme', principal: 'acme-audit', roles: ['auditor'] as const },
  { key: 'beta-auditor', tenant: 'beta', principal: 'beta-audit', roles: ['auditor'] as const },
  { key: 'gamma-auditor', tenant: 'gamma', principal: 'gamma-audit', roles: ['auditor'] as const },
];
let pipeline: Pipeline;
let database: FreshDatabase;
let workDir: string;
let nc: NatsConnection;
let verifier: RunningTestVerifier;
let client: verifierV1.VerifierServiceClient;
const published: verifierV1.IntegrityFailure[] = [];
const logs: string[] = [];

async function runVerifier(): Promise<RunningTestVerifier> {
  return startTestVerifier({
    nc,
    databaseUrl: database.url,
    prefix,
    calendarKey: pipeline.verifierKey,
    keys: ApiKeys.fromJson(JSON.stringify({ credentials: KEYS })),
    ...crypto,
    host: '127.0.0.1',
    port: 0,
    metricsPort: await freePort(),
    log: createLogger({ service: 'verifier', level: 'warn', write: (line) => logs.push(line) }),
  });
}

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'verifier');
  workDir = await mkdtemp(join(tmpdir(), 'msi-verifier-'));
  pipeline = await startPipeline({
    root: repositoryRoot(),
    workDir,
    natsUrl,
    databaseUrl: database.url,
    prefix,
    shards: 4,
    roundIntervalMs: 500,
    aggregators: 1,
    ingestPort: await freePort(),
    apiKeys: KEYS.map((k) => ({ ...k, roles: [...k.roles] })),
    onLine: ({ name, line }) => logs.push(`${name} | ${line}`),
  });
  await pipeline.waitUntilServing(30_000);
  nc = await connectNats({ servers: natsUrl, name: 'verifier-int-test' });
  const sub = nc.subscribe(integritySubject(prefix));
  void (async () => {
    for await (const m of sub) published.push(verifierV1.IntegrityFailure.decode(m.data));
  })();
  verifier = await runVerifier();
  client = new verifierV1.VerifierServiceClient(`127.0.0.1:${verifier.port}`, credentials.createInsecure());
}, 60_000);

afterAll(async () => {
  client?.close();
  await verifier?.stop();
  await pipeline?.stop();
  await nc?.close();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

const imprint = (text: string) =>
  Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(text))));
const newId = () =>
  Buffer.from(mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16))));

function event(kind: eventV1.EventKind, fields: Partial<eventV1.DataEvent>): eventV1.DataEvent {
  return eventV1.DataEvent.fromPartial({
    eventId: newId(),
    kind,
    actor: 'alice',
    source: { system: 'app', region: 'eu', host: 'h1' },
    destination: { system: 's3', region: 'eu', host: 'bucket' },
    occurredAtUs: BigInt(Date.now() * 1000),
    ...fields,
  });
}

async function submit(apiKey: string, events: eventV1.DataEvent[]): Promise<void> {
  const acks = await emitEvents(pipeline.ingestAddress, apiKey, events);
  expect(acks.map((a) => a.duplicate)).toEqual(events.map(() => false));
}

function auth(apiKey: string): Metadata {
  const m = new Metadata();
  m.set('authorization', `Bearer ${apiKey}`);
  return m;
}

function call<Req, Res>(
  method: (
    req: Req,
    md: Metadata,
    opts: { deadline: number },
    cb: (e: ServiceError | null, r?: Res) => void,
  ) => unknown,
  request: Req,
  apiKey = '',
  timeoutMs = 30_000,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(
      client,
      request,
      apiKey === '' ? new Metadata() : auth(apiKey),
      { deadline: Date.now() + timeoutMs },
      (e, r) => (e !== null || r === undefined ? reject(e) : resolve(r)),
    );
  });
}

const getReceipt = (eventId: Buffer, apiKey: string, wait = true) =>
  call(client.getReceipt, { eventId, wait }, apiKey);
const getHistory = (data: Buffer, apiKey: string, page: { pageSize?: number; pageToken?: string } = {}) =>
  call(client.getHistory, { data, fromUs: 0n, toUs: 0n, pageSize: 0, pageToken: '', ...page }, apiKey);

const x = imprint('raw-x');
const y = imprint('derived-y');
const store = event(eventV1.EventKind.EVENT_KIND_STORE, { data: x });
const transfer = event(eventV1.EventKind.EVENT_KIND_TRANSFER, { data: x, toTenant: 'beta' });
const processed = event(eventV1.EventKind.EVENT_KIND_PROCESS, { data: y, inputs: [x], outputs: [y] });
const read = event(eventV1.EventKind.EVENT_KIND_ACCESS, { data: y });

describe('the verifier: projection, receipts, history, audits (real pipeline)', () => {
  it('serves receipts that verify offline with the calendar key and fail with another key', async () => {
    await submit('acme-emitter', [store, transfer]);
    await submit('beta-emitter', [processed, read]);
    const response = await getReceipt(store.eventId, 'acme-auditor');
    const trust = { logKeys: [parseVerifierKey(pipeline.verifierKey)] };
    const proven = verifyReceipt(response.receiptJson, trust, crypto);
    expect(Buffer.from(proven.event.eventId)).toEqual(store.eventId);
    expect(proven.event.tenant).toBe('acme');
    const other = generateNoteKey(proven.checkpoint.origin, new Uint8Array(32).fill(7));
    expect(() =>
      verifyReceipt(response.receiptJson, { logKeys: [parseVerifierKey(other.verifierKey)] }, crypto),
    ).toThrow(ReceiptError);
    const remote = await call(client.verifyReceipt, {
      receipt: response.receipt,
      trustedKeys: [other.verifierKey],
      witnessKeys: [],
      quorum: 0,
    });
    expect(remote.ok).toBe(false);
    expect(['SIGNATURE_INVALID', 'UNTRUSTED_KEY']).toContain(remote.failureCode);
    const good = await call(client.verifyReceipt, {
      receipt: response.receipt,
      trustedKeys: [pipeline.verifierKey],
      witnessKeys: [],
      quorum: 0,
    });
    expect(good.ok).toBe(true);
    expect(Number(good.proven?.round)).toBe(proven.round.round);
    // GetRound names, beside each seal of the round, the shard map version that sealed it: here the
    // version seeded from MSI_SHARDS (1), which nothing changes in this file.
    const round = await call(client.getRound, {
      selector: { $case: 'round', value: BigInt(proven.round.round) },
    });
    expect(round.sealShardMapVersions).toHaveLength(round.seals.length);
    const ours = round.seals.findIndex((seal) => decodeSeal(seal).shard === proven.seal.shard);
    expect(ours).toBeGreaterThanOrEqual(0);
    expect(round.sealShardMapVersions.every((version) => version === 1n)).toBe(true);
  }, 60_000);

  it('returns the lineage of an item stored, transferred, processed and read, per tenant', async () => {
    for (const e of [transfer, processed, read])
      await getReceipt(e.eventId, e === transfer ? 'acme-auditor' : 'beta-auditor');
    const ids = (h: verifierV1.GetHistoryResponse) =>
      h.entries.map((e) => Buffer.from(e.event?.eventId ?? []).toString('hex'));
    const hex = (e: eventV1.DataEvent) => e.eventId.toString('hex');

    const acmeX = await getHistory(x, 'acme-auditor');
    expect(ids(acmeX)).toEqual([hex(store), hex(transfer)]);
    expect(acmeX.entries.every((e) => e.anchored && e.receipt !== undefined)).toBe(true);
    expect(acmeX.links).toHaveLength(1);
    expect(acmeX.links[0]).toMatchObject({
      kind: verifierV1.LinkKind.LINK_KIND_TRANSFER,
      fromTenant: 'acme',
      toTenant: 'beta',
    });

    const betaX = await getHistory(x, 'beta-auditor');
    expect(ids(betaX)).toEqual([hex(transfer), hex(processed)]);
    const processLink = betaX.links.find((l) => l.kind === verifierV1.LinkKind.LINK_KIND_PROCESS);
    expect(processLink?.fromData).toEqual([x]);
    expect(processLink?.toData).toEqual([y]);

    const betaY = await getHistory(y, 'beta-auditor');
    expect(ids(betaY)).toEqual([hex(processed), hex(read)]);
    expect(betaY.entries.map((e) => e.role)).toEqual(['data,output', 'data']);
    expect(betaY.nextPageToken).toBe('');
    // One entry a page: a keyset token (never all digits) leads to the next entry, and the last page
    // has none; a decimal offset, the token of a verifier before migration 10, is still honoured.
    const first = await getHistory(y, 'beta-auditor', { pageSize: 1 });
    expect(ids(first)).toEqual([hex(processed)]);
    expect(first.nextPageToken).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(first.nextPageToken).not.toMatch(/^[0-9]+$/);
    const second = await getHistory(y, 'beta-auditor', { pageSize: 1, pageToken: first.nextPageToken });
    expect(ids(second)).toEqual([hex(read)]);
    expect(second.nextPageToken).toBe('');
    expect(ids(await getHistory(y, 'beta-auditor', { pageSize: 1, pageToken: '1' }))).toEqual([hex(read)]);
    const fromOffset = await getHistory(y, 'beta-auditor', { pageSize: 1, pageToken: '0' });
    expect(ids(fromOffset)).toEqual([hex(processed)]);
    expect(fromOffset.nextPageToken).toBe(first.nextPageToken);
    const trust = { logKeys: [parseVerifierKey(pipeline.verifierKey)] };
    for (const entry of [...betaX.entries, ...betaY.entries]) {
      const r = await call(client.verifyReceipt, {
        receipt: entry.receipt,
        trustedKeys: [pipeline.verifierKey],
        witnessKeys: [],
        quorum: 0,
      });
      expect(r.ok).toBe(true);
      expect(trust.logKeys).toHaveLength(1);
    }
  }, 60_000);

  it('keeps tenants apart: nothing crosses but a TRANSFER; auditing needs the role', async () => {
    expect((await getHistory(y, 'acme-auditor')).entries).toEqual([]);
    expect((await getHistory(x, 'gamma-auditor')).entries).toEqual([]);
    await expect(getReceipt(processed.eventId, 'acme-auditor', false)).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(getReceipt(store.eventId, 'beta-auditor', false)).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(getReceipt(transfer.eventId, 'beta-auditor')).resolves.toBeDefined();
    await expect(getReceipt(store.eventId, 'acme-emitter', false)).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    await expect(getReceipt(store.eventId, '', false)).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    await expect(getReceipt(store.eventId, 'nope', false)).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    const checkpoint = await call(client.getCheckpoint, { size: 0n, cosigned: false });
    expect(checkpoint.checkpoint).toContain(String(checkpoint.size));
    const proof = await call(client.getConsistencyProof, { oldSize: 1n, newSize: checkpoint.size });
    expect(proof.hashes.length).toBeGreaterThan(0);
    const round = await call(client.getRound, { selector: { $case: 'round', value: 0n } });
    expect(round.round.length).toBe(77);
  }, 60_000);

  it('detects a forged seal root and reports it on <prefix>.integrity', async () => {
    const forged = encodeSeal({
      shard: 7,
      sealNumber: 0,
      streamStart: 1,
      streamEnd: 2,
      leafCount: 1,
      maxReceivedAt: Date.now() * 1000,
      root: new Uint8Array(32).fill(9),
    });
    await nc.publish(
      subjectsFor(prefix).seals(7),
      streamV1.ShardSealed.encode({
        version: 1,
        seal: Buffer.from(forged),
        aggregatorId: 'forger',
        leaseRevision: 0n,
        shardMapVersion: 0n,
      }).finish(),
    );
    const kind = verifierV1.IntegrityFailureKind.INTEGRITY_FAILURE_KIND_SEAL_MISMATCH;
    await eventually(
      'the forged seal is reported',
      async () => published.find((f) => f.kind === kind && f.shard === 7),
      { timeoutMs: 20_000, detail: () => logs.slice(-30).join('\n') },
    );
    const { rows } = await verifier.pool.query(
      `SELECT detail FROM ${SCHEMA}.integrity_failures WHERE kind = $1`,
      [kind],
    );
    expect(rows).toHaveLength(1);
  }, 30_000);

  it('rebuilds from the streams to the same state', async () => {
    await pipeline.stop(); // freeze the streams (no more heartbeat rounds)
    await eventually('catch-up', async () => ((await verifier.projector.caughtUp()) ? true : undefined), {
      timeoutMs: 20_000,
      detail: () => logs.slice(-30).join('\n'),
    });
    const before = await projectionDigest(verifier.pool);
    client.close();
    await verifier.stop();
    const jsm = await jetstreamManager(nc);
    const admin = (await import('@msi/postgres')).createPool({ connectionString: database.url });
    await dropProjection(admin, jsm, prefix);
    await admin.end();
    verifier = await runVerifier();
    client = new verifierV1.VerifierServiceClient(`127.0.0.1:${verifier.port}`, credentials.createInsecure());
    await eventually('rebuild', async () => ((await verifier.projector.caughtUp()) ? true : undefined), {
      timeoutMs: 30_000,
      detail: () => logs.slice(-30).join('\n'),
    });
    expect(await projectionDigest(verifier.pool)).toBe(before);
  }, 60_000);

  it('detects a signed checkpoint that does not extend the rebuilt calendar (a fork)', async () => {
    // The pipeline is stopped (previous test): the verifier's calendar holds rounds 0 … n − 1.
    const { rows } = await verifier.pool.query(
      `SELECT k, record, leaf_hash, checkpoint FROM ${SCHEMA}.rounds ORDER BY k`,
    );
    const n = rows.length;
    const last = decodeRound(new Uint8Array(rows[n - 1].record as Buffer));
    const origin = String(rows[n - 1].checkpoint).split('\n')[0] ?? '';
    const { rows: before } = await verifier.pool.query(`SELECT max(size) AS size FROM ${SCHEMA}.checkpoints`);
    // Round n itself is well formed (empty, after the last); the checkpoint signed with the real
    // calendar key is of a forked calendar: round n − 1 replaced by another valid round (another
    // closed_at: whether round n − 1 holds seals or is an empty heartbeat, its root cannot change).
    const next = encodeRound({
      round: n,
      closedAt: last.closedAt + 1000,
      intervalMs: last.intervalMs,
      sealsStart: last.sealsEnd,
      sealsEnd: last.sealsEnd,
      sealCount: 0,
      root: crypto.hasher.emptyRoot(),
    });
    const forkedPrevious = encodeRound({ ...last, closedAt: last.closedAt + 1 });
    const fork = CompactRange.fromState(crypto.hasher, 0, []);
    for (const [k, r] of rows.entries()) {
      const leaf = k === n - 1 ? roundLeafHash(crypto.hasher, forkedPrevious) : new Uint8Array(r.leaf_hash);
      fork.append(leaf);
    }
    fork.append(roundLeafHash(crypto.hasher, next));
    const note = signCheckpoint(
      { origin, size: n + 1, root: fork.root(), extensions: [] },
      parseSignerKey(pipeline.signingKey),
    );
    await nc.publish(
      subjectsFor(prefix).rounds,
      streamV1.RoundAnchored.encode({
        version: 1,
        round: Buffer.from(next),
        checkpoint: note,
        seals: [],
      }).finish(),
    );
    const kind = verifierV1.IntegrityFailureKind.INTEGRITY_FAILURE_KIND_CHECKPOINT_INVALID;
    const failure = await eventually(
      'the inconsistent checkpoint is reported',
      async () => published.find((f) => f.kind === kind && Number(f.number) === n),
      { timeoutMs: 20_000, detail: () => logs.slice(-30).join('\n') },
    );
    expect(failure.detail).toContain('inconsistent');
    const { rows: stored } = await verifier.pool.query(
      `SELECT r.verified, (SELECT max(size) FROM ${SCHEMA}.checkpoints) AS size,
         (SELECT count(*) FROM ${SCHEMA}.integrity_failures WHERE kind = $2) AS failures
       FROM ${SCHEMA}.rounds r WHERE r.k = $1`,
      [n, kind],
    );
    expect(stored[0].verified).toBe(false);
    expect(Number(stored[0].failures)).toBe(1);
    expect(stored[0].size).toBe(before[0].size); // the forged checkpoint was not accepted
    // Receipts are still served, against the last verified checkpoint.
    const response = await getReceipt(transfer.eventId, 'beta-auditor', false);
    const proven = verifyReceipt(
      response.receiptJson,
      { logKeys: [parseVerifierKey(pipeline.verifierKey)] },
      crypto,
    );
    expect(proven.checkpoint.size).toBe(Number(before[0].size));
    // …and the failure is counted on /metrics.
    const metrics = await (await fetch(`http://127.0.0.1:${verifier.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/msi_verifier_integrity_failures_total\{kind="checkpoint_invalid"[^}]*\} 1/);
    expect(metrics).toMatch(/msi_verifier_rounds_applied_total\{verified="false"[^}]*\} 1/);
    expect(metrics).toMatch(/msi_verifier_projection_lag\{stream="rounds"[^}]*\} 0/);
    expect(metrics).toMatch(/msi_verifier_receipts_served_total\{[^}]*\} [1-9]/);
  }, 30_000);

  it('detects a tampered projection row instead of serving a bad receipt', async () => {
    await verifier.pool.query(
      `UPDATE ${SCHEMA}.events SET canonical = set_byte(canonical, length(canonical) - 1, get_byte(canonical, length(canonical) - 1) # 1) WHERE event_id = $1`,
      [store.eventId],
    );
    // A running verifier keeps the anchored rows it checked (the receipt cache's hot index never
    // re-reads what cannot change): a fresh one reads the changed row from storage.
    client.close();
    await verifier.stop();
    verifier = await runVerifier();
    client = new verifierV1.VerifierServiceClient(`127.0.0.1:${verifier.port}`, credentials.createInsecure());
    await expect(getReceipt(store.eventId, 'acme-auditor', false)).rejects.toMatchObject({
      code: status.DATA_LOSS,
    });
    const kind = verifierV1.IntegrityFailureKind.INTEGRITY_FAILURE_KIND_PROJECTION_TAMPERED;
    await eventually('the tampering is reported', async () => published.find((f) => f.kind === kind), {
      timeoutMs: 10_000,
      detail: () => logs.slice(-30).join('\n'),
    });
  }, 30_000);
});
