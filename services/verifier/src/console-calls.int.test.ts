// The calls the auditor's console needs (issue 18) against the real pipeline: SearchByActor and
// GetLineage per tenant, GetWitnessStatus with witnesses cosigning, ListPublications of the
// calendar's own publications and a tampered one refused.
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  cosignCheckpoint,
  decodeEvent,
  encodeImprint,
  formatPublication,
  generateNoteKey,
  imprintOf,
  mintUuidV7,
  NOTE_ALG_COSIGNATURE_V1,
  parsePublication,
  parseVerifierKey,
  verifyReceipt,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { subjectsFor } from '@msi/nats';
import { eventV1, streamV1, verifierV1 } from '@msi/proto';
import { createLogger } from '@msi/service-kit';
import { eventually, useWorld } from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from './credentials.js';
import { emitEvents } from './emit.test-helper.js';
import { actorEventsOf, ReceiptCache, receiptOf } from './receipt-store.js';
import { SCHEMA } from './schema.js';
import { type RunningTestVerifier, startTestVerifier } from './verifier.test-helper.js';

const crypto = { hasher: nodeHasher(), ed25519: nodeEd25519() };
const KEYS = [
  { key: 'acme-emitter', tenant: 'acme', principal: 'acme-etl', roles: ['emitter'] as const },
  { key: 'beta-emitter', tenant: 'beta', principal: 'beta-etl', roles: ['emitter'] as const },
  { key: 'acme-auditor', tenant: 'acme', principal: 'acme-audit', roles: ['auditor'] as const },
  { key: 'beta-auditor', tenant: 'beta', principal: 'beta-audit', roles: ['auditor'] as const },
];
const world = useWorld({
  label: 'verifier_console_calls',
  nats: true,
  pipeline: {
    roundIntervalMs: 300,
    apiKeys: KEYS.map((k) => ({ ...k, roles: [...k.roles] })),
    // A publication every second, so that the calendar's own are projected during the test.
    extraEnv: { calendar: { MSI_CALENDAR_PUBLICATION_INTERVAL_MS: '1000' } },
  },
});
let verifier: RunningTestVerifier;
let client: verifierV1.VerifierServiceClient;
const waiting = { timeoutMs: 20_000, detail: () => world.logTail(30) };

beforeAll(async () => {
  verifier = await startTestVerifier({
    nc: world.nc,
    databaseUrl: world.databaseUrl,
    prefix: world.prefix,
    calendarKey: world.pipeline.verifierKey,
    keys: ApiKeys.fromJson(JSON.stringify({ credentials: KEYS })),
    ...crypto,
    host: '127.0.0.1',
    port: 0,
    log: createLogger({ service: 'verifier', level: 'warn', write: (line) => world.logs.push(line) }),
  });
  client = new verifierV1.VerifierServiceClient(`127.0.0.1:${verifier.port}`, credentials.createInsecure());
}, 60_000);

afterAll(async () => {
  client?.close();
  await verifier?.stop();
});

function call<Req, Res>(
  method: (
    req: Req,
    md: Metadata,
    opts: { deadline: number },
    cb: (e: ServiceError | null, r?: Res) => void,
  ) => unknown,
  request: Req,
  apiKey = '',
): Promise<Res> {
  const md = new Metadata();
  if (apiKey !== '') md.set('authorization', `Bearer ${apiKey}`);
  return new Promise((resolve, reject) => {
    method.call(client, request, md, { deadline: Date.now() + 30_000 }, (e, r) =>
      e !== null || r === undefined ? reject(e) : resolve(r),
    );
  });
}

const imprint = (text: string) =>
  Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(`${world.prefix}-${text}`))));
const newId = () =>
  Buffer.from(mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16))));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function event(
  kind: eventV1.EventKind,
  actor: string,
  fields: Partial<eventV1.DataEvent>,
): eventV1.DataEvent {
  return eventV1.DataEvent.fromPartial({
    eventId: newId(),
    kind,
    actor,
    source: { system: 'app', region: 'eu', host: 'h1' },
    destination: { system: 's3', region: 'eu', host: 'bucket' },
    occurredAtUs: BigInt(Date.now() * 1000),
    ...fields,
  });
}
const K = eventV1.EventKind;

// acme: X ─p1→ Y ─p2→ Z ─p3→ W, and Z transferred to beta (t1); beta: Z ─q1→ V.
const X = imprint('x');
const Y = imprint('y');
const Z = imprint('z');
const W = imprint('w');
const V = imprint('v');
const s1 = event(K.EVENT_KIND_STORE, 'carol', { data: X });
const p1 = event(K.EVENT_KIND_PROCESS, 'carol', { data: Y, inputs: [X], outputs: [Y] });
const p2 = event(K.EVENT_KIND_PROCESS, 'dave', { data: Z, inputs: [Y], outputs: [Z] });
const t1 = event(K.EVENT_KIND_TRANSFER, 'carol', { data: Z, toTenant: 'beta' });
const p3 = event(K.EVENT_KIND_PROCESS, 'dave', { data: W, inputs: [Z], outputs: [W] });
const q1 = event(K.EVENT_KIND_PROCESS, 'carol', { data: V, inputs: [Z], outputs: [V] });

const search = (actor: string, apiKey: string, more: Partial<verifierV1.SearchByActorRequest> = {}) =>
  call(client.searchByActor, { actor, fromUs: 0n, toUs: 0n, pageSize: 0, pageToken: '', ...more }, apiKey);
const lineage = (data: Buffer, apiKey: string, more: Partial<verifierV1.GetLineageRequest> = {}) =>
  call(
    client.getLineage,
    {
      data,
      direction: verifierV1.LineageDirection.LINEAGE_DIRECTION_DOWNSTREAM,
      maxDepth: 0,
      maxLinks: 0,
      ...more,
    },
    apiKey,
  );
const ids = (entries: readonly verifierV1.HistoryEntry[]) =>
  entries.map((e) => hex(e.event?.eventId ?? new Uint8Array()));

describe('the console calls (real pipeline)', () => {
  it('emits the events, one after the other, and waits for them to be anchored', async () => {
    for (const e of [s1, p1, p2, t1, p3]) await emitEvents(world.pipeline.ingestAddress, 'acme-emitter', [e]);
    await emitEvents(world.pipeline.ingestAddress, 'beta-emitter', [q1]);
    for (const [e, key] of [
      [p3, 'acme-auditor'],
      [q1, 'beta-auditor'],
    ] as const)
      await call(client.getReceipt, { eventId: e.eventId, wait: true }, key);
  }, 60_000);

  it('SearchByActor: the tenant’s events by actor, newest first, with receipts that verify', async () => {
    const acme = await search('carol', 'acme-auditor');
    expect(ids(acme.entries)).toEqual([t1, p1, s1].map((e) => hex(e.eventId)));
    expect(acme.entries.map((e) => e.role)).toEqual(['actor', 'actor', 'actor']);
    expect(acme.nextPageToken).toBe('');
    const trust = { logKeys: [parseVerifierKey(world.pipeline.verifierKey)] };
    for (const entry of acme.entries) {
      expect(entry.anchored).toBe(true);
      expect(entry.receipt).toBeDefined();
    }
    const first = acme.entries[0]?.receipt;
    if (first === undefined) throw new Error('no receipt');
    const { receiptFromProto } = await import('@msi/wire');
    expect(hex(verifyReceipt(receiptFromProto(first), trust, crypto).event.eventId)).toBe(hex(t1.eventId));
    // beta sees its own event and the TRANSFER to it, nothing else of acme's.
    const beta = await search('carol', 'beta-auditor');
    expect(ids(beta.entries)).toEqual([q1, t1].map((e) => hex(e.eventId)));
    // The submitter (the emitter's principal) is searchable too.
    const submitted = await search('acme-etl', 'acme-auditor');
    expect(ids(submitted.entries)).toEqual([p3, t1, p2, p1, s1].map((e) => hex(e.eventId)));
    expect(new Set(submitted.entries.map((e) => e.role))).toEqual(new Set(['submitter']));
    expect(
      (await search('acme-etl', 'beta-auditor')).entries.map((e) =>
        hex(e.event?.eventId ?? new Uint8Array()),
      ),
    ).toEqual([hex(t1.eventId)]);
  });

  it('SearchByActor pages with opaque tokens and honours from/to', async () => {
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await search('acme-etl', 'acme-auditor', { pageSize: 2, pageToken });
      seen.push(...ids(page.entries));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== '' && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([p3, t1, p2, p1, s1].map((e) => hex(e.eventId)));
    const all = await search('acme-etl', 'acme-auditor');
    const at = (i: number) => all.entries[i]?.event?.receivedAtUs ?? 0n;
    const bounded = await search('acme-etl', 'acme-auditor', { fromUs: at(3), toUs: at(1) });
    expect(ids(bounded.entries)).toEqual([p2, p1].map((e) => hex(e.eventId)));
  });

  it('SearchByActor refuses bad fields, naming them, and callers without the auditor role', async () => {
    const refusals: [Partial<verifierV1.SearchByActorRequest>, status, RegExp][] = [
      [{ actor: '' }, status.INVALID_ARGUMENT, /^actor: required/],
      [{ actor: 'x'.repeat(257) }, status.INVALID_ARGUMENT, /^actor: at most 256 bytes/],
      [{ pageSize: 1001 }, status.INVALID_ARGUMENT, /^page_size: at most 1000/],
      [{ pageToken: '12' }, status.INVALID_ARGUMENT, /^page_token: not a token/],
      [{ fromUs: -1n }, status.OUT_OF_RANGE, /^from_us: /],
      [{ fromUs: 10n, toUs: 5n }, status.INVALID_ARGUMENT, /^to_us: 5 is not after from_us 10/],
    ];
    for (const [fields, code, details] of refusals) {
      await expect(
        search('carol', 'acme-auditor', fields),
        JSON.stringify(fields, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
      ).rejects.toMatchObject({
        code,
        details: expect.stringMatching(details),
      });
    }
    await expect(search('carol', '')).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(search('carol', 'acme-emitter')).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
  });

  it('GetLineage walks several hops downstream and upstream, only through what the tenant sees', async () => {
    const down = await lineage(X, 'acme-auditor');
    expect(down.hops.map((h) => [hex(h.link?.eventId ?? new Uint8Array()), h.depth])).toEqual([
      [hex(p1.eventId), 1],
      [hex(p2.eventId), 2],
      [hex(t1.eventId), 3],
      [hex(p3.eventId), 3],
    ]);
    expect(down.truncated).toBe(false);
    for (const hop of down.hops) {
      expect(hop.anchored).toBe(true);
      expect(hop.direction).toBe(verifierV1.LineageDirection.LINEAGE_DIRECTION_DOWNSTREAM);
    }
    expect(down.hops[2]?.link).toMatchObject({
      kind: verifierV1.LinkKind.LINK_KIND_TRANSFER,
      fromTenant: 'acme',
      toTenant: 'beta',
    });
    // beta: from Z it sees the TRANSFER and its own PROCESS, not acme's p3; from X nothing.
    const betaDown = await lineage(Z, 'beta-auditor');
    expect(betaDown.hops.map((h) => hex(h.link?.eventId ?? new Uint8Array()))).toEqual(
      [t1, q1].map((e) => hex(e.eventId)),
    );
    expect((await lineage(X, 'beta-auditor')).hops).toEqual([]);
    const up = await lineage(W, 'acme-auditor', {
      direction: verifierV1.LineageDirection.LINEAGE_DIRECTION_UPSTREAM,
    });
    expect(up.hops.map((h) => [hex(h.link?.eventId ?? new Uint8Array()), h.depth])).toEqual([
      [hex(p3.eventId), 1],
      [hex(p2.eventId), 2],
      [hex(t1.eventId), 2],
      [hex(p1.eventId), 3],
    ]);
    const both = await lineage(Y, 'acme-auditor', {
      direction: verifierV1.LineageDirection.LINEAGE_DIRECTION_BOTH,
    });
    expect(new Set(both.hops.map((h) => hex(h.link?.eventId ?? new Uint8Array())))).toEqual(
      new Set([p1, p2, t1, p3].map((e) => hex(e.eventId))),
    );
    expect(both.hops).toHaveLength(4);
  });

  it('GetLineage stops at max_depth and max_links, saying truncated, and refuses bad fields', async () => {
    const shallow = await lineage(X, 'acme-auditor', { maxDepth: 2 });
    expect(shallow.hops.map((h) => h.depth)).toEqual([1, 2]);
    expect(shallow.truncated).toBe(true);
    const few = await lineage(X, 'acme-auditor', { maxLinks: 3 });
    expect(few.hops).toHaveLength(3);
    expect(few.truncated).toBe(true);
    const exact = await lineage(X, 'acme-auditor', { maxDepth: 3 });
    expect(exact.hops).toHaveLength(4);
    expect(exact.truncated).toBe(false);
    const refusals: [Partial<verifierV1.GetLineageRequest>, RegExp][] = [
      [{ maxDepth: 17 }, /^max_depth: at most 16 \(got 17\)/],
      [{ maxLinks: 5001 }, /^max_links: at most 5000 \(got 5001\)/],
      [{ direction: 7 as verifierV1.LineageDirection }, /^direction: 7 is not a LineageDirection/],
      [{ data: Buffer.from([1, 2, 3]) }, /^data: /],
    ];
    for (const [fields, details] of refusals) {
      await expect(lineage(X, 'acme-auditor', fields)).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(details),
      });
    }
    await expect(lineage(X, 'beta-emitter')).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
  });

  it('reads what a page of receipts needs in a few bulk queries, then assembles each from memory', async () => {
    const rows = await actorEventsOf(verifier.pool, 'acme-etl', 'acme', {
      fromUs: 0,
      toUs: 0,
      after: undefined,
      limit: 100,
    });
    expect(rows).toHaveLength(5);
    const names: string[] = [];
    const counting = new Proxy(verifier.pool, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver);
        return (query: string | { name?: string }, ...rest: unknown[]) => {
          names.push(typeof query === 'string' ? query.trim().slice(0, 40) : (query.name ?? '?'));
          return (target.query as (...a: unknown[]) => unknown).call(target, query, ...rest);
        };
      },
    });
    const cache = new ReceiptCache();
    await cache.prefetch(
      counting,
      crypto.hasher,
      rows.map((r) => r.event),
    );
    // anchors, seal trees, rounds, the newest checkpoint, calendar nodes: one query each at most.
    expect(names.length).toBeLessThanOrEqual(5);
    names.length = 0;
    const trust = { logKeys: [parseVerifierKey(world.pipeline.verifierKey)] };
    for (const row of rows) {
      const receipt = await receiptOf(counting, crypto.hasher, row.event, cache);
      expect(hex(verifyReceipt(receipt, trust, crypto).event.eventId)).toBe(
        hex(decodeEvent(row.event.canonical).eventId),
      );
    }
    expect(names.filter((name) => name !== 'verifier_latest_checkpoint')).toEqual([]);
  });

  it('ListPublications serves the calendar’s publications, newest first, paged (public)', async () => {
    const listed = await eventually(
      'two publications projected',
      async () => {
        const r = await call(client.listPublications, { pageSize: 0, pageToken: '' });
        return r.publications.length >= 2 ? r : undefined;
      },
      waiting,
    );
    const times = listed.publications.map((p) => p.timeUs);
    expect([...times].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))).toEqual(times);
    for (const p of listed.publications) {
      const parsed = parsePublication(p.text);
      expect(BigInt(parsed.time) * 1_000_000n).toBe(p.timeUs);
      expect(BigInt(parsed.checkpoint.size)).toBe(p.size);
    }
    // The calendar keeps publishing meanwhile: the pages are compared with a listing taken after
    // them, in which they must be consecutive (keyset paging: a newer publication never shifts them).
    const first = await call(client.listPublications, { pageSize: 1, pageToken: '' });
    const second = await call(client.listPublications, { pageSize: 1, pageToken: first.nextPageToken });
    const later = (await call(client.listPublications, { pageSize: 0, pageToken: '' })).publications.map(
      (p) => p.text,
    );
    expect(first.publications).toHaveLength(1);
    expect(second.publications).toHaveLength(1);
    const at = later.indexOf(first.publications[0]?.text ?? '');
    expect(at).toBeGreaterThanOrEqual(0);
    expect(later[at + 1]).toBe(second.publications[0]?.text);
    await expect(call(client.listPublications, { pageSize: 1, pageToken: 'x' })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/^page_token: /),
    });
  }, 30_000);

  describe('with the pipeline stopped', () => {
    const w1 = generateNoteKey('w1.example', new Uint8Array(32).fill(1), NOTE_ALG_COSIGNATURE_V1);
    const w2 = generateNoteKey('w2.example', new Uint8Array(32).fill(2), NOTE_ALG_COSIGNATURE_V1);
    let newest = 0;

    beforeAll(async () => {
      await world.pipeline.stop();
      await eventually('catch-up', async () => (await verifier.projector.caughtUp()) || undefined, waiting);
      newest = Number((await call(client.getCheckpoint, { size: 0n, cosigned: false })).size);
    }, 60_000);

    async function publish(subject: string, data: Uint8Array): Promise<void> {
      await jetstream(world.nc).publish(subject, data);
    }

    it('GetWitnessStatus: each witness’s newest cosigned size and time, and its lag', async () => {
      expect(newest).toBeGreaterThan(3);
      const older = newest - 3;
      const note = async (size: number) =>
        (await call(client.getCheckpoint, { size: BigInt(size), cosigned: false })).checkpoint;
      const cosigned = async (size: number, checkpoint: string) =>
        publish(
          subjectsFor(world.prefix).checkpoints,
          streamV1.CheckpointCosigned.encode({ version: 1, size: BigInt(size), checkpoint }).finish(),
        );
      // w2 cosigned `older` and stopped there; w1 cosigned `older`, then the newest.
      const atOlder = cosignCheckpoint(
        cosignCheckpoint(await note(older), w1.signer, 1_800_000_000),
        w2.signer,
        1_800_000_001,
      );
      await cosigned(older, atOlder);
      await cosigned(newest, cosignCheckpoint(await note(newest), w1.signer, 1_800_000_010));
      const status = await eventually(
        'both witnesses seen',
        async () => {
          const r = await call(client.getWitnessStatus, {});
          return r.witnesses.length === 2 && r.witnesses[0]?.cosignedSize === BigInt(newest) ? r : undefined;
        },
        waiting,
      );
      const { rows } = await verifier.pool.query(
        `SELECT k, closed_at_us FROM ${SCHEMA}.rounds WHERE k IN ($1::int8, $2::int8)`,
        [older - 1, newest - 1],
      );
      const closed = new Map(rows.map((r) => [Number(r.k), BigInt(r.closed_at_us)]));
      const lagUs = (closed.get(newest - 1) ?? 0n) - (closed.get(older - 1) ?? 0n);
      expect(lagUs).toBeGreaterThan(0n);
      expect(status.checkpointSize).toBe(BigInt(newest));
      const hexId = (k: ReturnType<typeof generateNoteKey>) => k.signer.keyId.toString(16).padStart(8, '0');
      expect(status.witnesses).toEqual([
        {
          name: 'w1.example',
          keyId: hexId(w1),
          cosignedSize: BigInt(newest),
          cosignedAtUs: 1_800_000_010_000_000n,
          lagEntries: 0n,
          lagUs: 0n,
        },
        {
          name: 'w2.example',
          keyId: hexId(w2),
          cosignedSize: BigInt(older),
          cosignedAtUs: 1_800_000_001_000_000n,
          lagEntries: 3n,
          lagUs,
        },
      ]);
    }, 60_000);

    it('refuses a tampered publication: recorded as an integrity failure, never listed', async () => {
      const before = await call(client.listPublications, { pageSize: 1000, pageToken: '' });
      // Later than every publication so far (taken from them, not from a calendar date).
      const time = Number((before.publications[0]?.timeUs ?? 0n) / 1_000_000n) + 100;
      const newestNote = (await call(client.getCheckpoint, { size: BigInt(newest), cosigned: false }))
        .checkpoint;
      const { checkpoint } = parsePublication(formatPublication(1, newestNote));
      // The same note with another root: a fork (or a forged signature), not what the verifier verified.
      const otherRoot = Buffer.from(checkpoint.root).fill(9).toString('base64');
      const tampered = formatPublication(
        time,
        newestNote.replace(Buffer.from(checkpoint.root).toString('base64'), otherRoot),
      );
      const genuine = formatPublication(time + 1, newestNote);
      const subject = subjectsFor(world.prefix).publications;
      await publish(subject, new TextEncoder().encode(tampered));
      await publish(subject, new TextEncoder().encode('MSI publication v1\nnot a publication'));
      await publish(subject, new TextEncoder().encode(genuine));
      const after = await eventually(
        'the genuine publication listed',
        async () => {
          const r = await call(client.listPublications, { pageSize: 1000, pageToken: '' });
          return r.publications.some((p) => p.text === genuine) ? r : undefined;
        },
        waiting,
      );
      expect(after.publications[0]?.text).toBe(genuine);
      expect(after.publications.map((p) => p.text)).not.toContain(tampered);
      expect(after.publications).toHaveLength(before.publications.length + 1);
      const { rows } = await verifier.pool.query(
        `SELECT kind, detail FROM ${SCHEMA}.integrity_failures WHERE source LIKE '%_PUBLICATIONS' ORDER BY seq`,
      );
      expect(rows.map((r) => Number(r.kind))).toEqual([
        verifierV1.IntegrityFailureKind.INTEGRITY_FAILURE_KIND_CHECKPOINT_INVALID,
        verifierV1.IntegrityFailureKind.INTEGRITY_FAILURE_KIND_MALFORMED_MESSAGE,
      ]);
      expect(String(rows[0]?.detail)).toMatch(/fork/);
    }, 60_000);
  });
});
