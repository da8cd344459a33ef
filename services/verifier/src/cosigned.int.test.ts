import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  cosignCheckpoint,
  encodeImprint,
  generateNoteKey,
  imprintOf,
  mintUuidV7,
  NOTE_ALG_COSIGNATURE_V1,
  parseCheckpointNote,
  parseReceiptJson,
  parseSignerKey,
  parseVerifierKey,
  ReceiptError,
  signCheckpoint,
  verifyReceipt,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { subjectsFor } from '@msi/nats';
import { eventV1, streamV1, verifierV1 } from '@msi/proto';
import { createLogger } from '@msi/service-kit';
import { eventually, repositoryRoot, useWorld } from '@msi/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from './credentials.js';
import { emitEvents } from './emit.test-helper.js';
import { integritySubject } from './integrity.js';
import { SCHEMA } from './schema.js';
import { type RunningTestVerifier, startTestVerifier } from './verifier.test-helper.js';

const crypto = { hasher: nodeHasher(), ed25519: nodeEd25519() };
const KEYS = [
  { key: 'acme-emitter', tenant: 'acme', principal: 'acme-etl', roles: ['emitter'] as const },
  { key: 'acme-auditor', tenant: 'acme', principal: 'acme-audit', roles: ['auditor'] as const },
];
const seed = (b: number) => new Uint8Array(32).fill(b);
const w1 = generateNoteKey('w1.example', seed(1), NOTE_ALG_COSIGNATURE_V1);
const w2 = generateNoteKey('w2.example', seed(2), NOTE_ALG_COSIGNATURE_V1);
const world = useWorld({
  label: 'verifier_cosigned',
  nats: true,
  pipeline: { roundIntervalMs: 300, apiKeys: KEYS.map((k) => ({ ...k, roles: [...k.roles] })) },
});
const prefix = world.prefix;
let verifier: RunningTestVerifier;
let client: verifierV1.VerifierServiceClient;
const published: verifierV1.IntegrityFailure[] = [];

beforeAll(async () => {
  const sub = world.nc.subscribe(integritySubject(prefix));
  void (async () => {
    for await (const m of sub) published.push(verifierV1.IntegrityFailure.decode(m.data));
  })();
  verifier = await startTestVerifier({
    nc: world.nc,
    databaseUrl: world.databaseUrl,
    prefix,
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

/** Runs the built `msi` CLI as a child process. */
function msi(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const bin = join(repositoryRoot(), 'packages/cli/bin/msi.mjs');
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 20_000, env: {} }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ status: code, stdout, stderr });
    });
  });
}

async function publishCosigned(size: number, checkpoint: string): Promise<void> {
  const js = (await import('@nats-io/jetstream')).jetstream(world.nc);
  await js.publish(
    subjectsFor(prefix).checkpoints,
    streamV1.CheckpointCosigned.encode({ version: 1, size: BigInt(size), checkpoint }).finish(),
  );
}

const event = eventV1.DataEvent.fromPartial({
  eventId: Buffer.from(mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16)))),
  kind: eventV1.EventKind.EVENT_KIND_STORE,
  actor: 'alice',
  source: { system: 'app', region: 'eu', host: 'h1' },
  destination: { system: 's3', region: 'eu', host: 'bucket' },
  occurredAtUs: BigInt(Date.now() * 1000),
  data: Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode('cosigned')))),
});

/** How long to wait for the projector, with the services' last lines when it does not happen. */
const waiting = { timeoutMs: 20_000, detail: () => world.logTail(30) };

describe('receipts carry witness cosignatures (real pipeline)', () => {
  const logKey = () => parseVerifierKey(world.pipeline.verifierKey);
  const witnessKeys = [parseVerifierKey(w1.verifierKey), parseVerifierKey(w2.verifierKey)];
  let plainReceipt = '';
  let size = 0;
  let cosigned = '';

  it('serves receipts against the newest cosigned checkpoint, which verify with a quorum of 2', async () => {
    await emitEvents(world.pipeline.ingestAddress, 'acme-emitter', [event]);
    plainReceipt = (await call(client.getReceipt, { eventId: event.eventId, wait: true }, 'acme-auditor'))
      .receiptJson;
    expect(verifyReceipt(plainReceipt, { logKeys: [logKey()] }, crypto).witnesses).toEqual([]);
    // Freeze the streams, then cosign the newest checkpoint as the calendar would publish it: first
    // with one cosignature, then with both.
    await world.pipeline.stop();
    await eventually('catch-up', async () => (await verifier.projector.caughtUp()) || undefined, waiting);
    const latest = await call(client.getCheckpoint, { size: 0n, cosigned: false });
    size = Number(latest.size);
    await expect(call(client.getCheckpoint, { size: 0n, cosigned: true })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    const one = cosignCheckpoint(latest.checkpoint, w1.signer, 1_800_000_000);
    cosigned = cosignCheckpoint(one, w2.signer, 1_800_000_005);
    await publishCosigned(size, one);
    await publishCosigned(size, cosigned);
    await publishCosigned(size, one); // fewer lines: the note with both is kept
    await eventually(
      'the cosigned checkpoint is kept',
      async () => {
        const { rows } = await verifier.pool.query(
          `SELECT note, cosignature_count FROM ${SCHEMA}.cosigned_checkpoints WHERE size = $1`,
          [size],
        );
        return (await verifier.projector.caughtUp()) && rows[0]?.cosignature_count === 2
          ? rows[0]
          : undefined;
      },
      waiting,
    );
    expect((await call(client.getCheckpoint, { size: BigInt(size), cosigned: false })).checkpoint).toBe(
      cosigned,
    );
    expect((await call(client.getCheckpoint, { size: 0n, cosigned: false })).checkpoint).toBe(cosigned);
    expect((await call(client.getCheckpoint, { size: 0n, cosigned: true })).checkpoint).toBe(cosigned);
    expect((await call(client.getCheckpoint, { size: BigInt(size), cosigned: true })).checkpoint).toBe(
      cosigned,
    );

    await new Promise((resolve) => setTimeout(resolve, 150)); // the newest-checkpoint cache (100 ms)
    const response = await call(client.getReceipt, { eventId: event.eventId, wait: false }, 'acme-auditor');
    expect(parseReceiptJson(response.receiptJson).checkpoint).toBe(cosigned);
    const proven = verifyReceipt(
      response.receiptJson,
      { logKeys: [logKey()], witnessKeys, quorum: 2 },
      crypto,
    );
    expect(proven.witnesses.map((w) => [w.name, w.time])).toEqual([
      ['w1.example', 1_800_000_000],
      ['w2.example', 1_800_000_005],
    ]);
    let code: string | undefined;
    try {
      verifyReceipt(response.receiptJson, { logKeys: [logKey()], witnessKeys, quorum: 3 }, crypto);
    } catch (error: unknown) {
      if (error instanceof ReceiptError) code = error.code;
    }
    expect(code).toBe('QUORUM_NOT_MET');
  }, 60_000);

  it('msi verify --witness --quorum prints the witnesses; msi extend picks the cosignatures up', async () => {
    const response = await call(client.getReceipt, { eventId: event.eventId, wait: false }, 'acme-auditor');
    const file = join(world.workDir, 'receipt.json');
    await writeFile(file, response.receiptJson);
    const trust = [
      '--key',
      world.pipeline.verifierKey,
      '--witness',
      w1.verifierKey,
      '--witness',
      w2.verifierKey,
    ];
    const ok = await msi(['verify', file, ...trust, '--quorum', '2']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^VALID .*witnesses: w1\.example@\S+, w2\.example@\S+\n$/);
    // A third trusted witness that never cosigned: a quorum of 3 is not met.
    const w3 = generateNoteKey('w3.example', seed(3), NOTE_ALG_COSIGNATURE_V1).verifierKey;
    const short = await msi(['verify', file, ...trust, '--witness', w3, '--quorum', '3']);
    expect(short.status).toBe(1);
    expect(short.stdout + short.stderr).toContain('QUORUM_NOT_MET');

    // The receipt served before the cosignatures had none; extending it fetches GetCheckpoint.
    const plain = join(world.workDir, 'plain.json');
    await writeFile(plain, plainReceipt);
    expect((await msi(['verify', plain, ...trust, '--quorum', '2'])).status).toBe(1);
    const extended = await msi([
      'extend',
      plain,
      '--server',
      `127.0.0.1:${verifier.port}`,
      '--insecure',
      ...trust,
      '--quorum',
      '2',
    ]);
    expect(extended.stderr).toBe('');
    expect(extended.status).toBe(0);
    expect(parseReceiptJson(extended.stdout.trimEnd()).extension?.checkpoint).toBe(cosigned);
    const extendedFile = join(world.workDir, 'extended.json');
    await writeFile(extendedFile, extended.stdout);
    const again = await msi(['verify', extendedFile, ...trust, '--quorum', '2']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('w2.example@');
  }, 60_000);

  it('reports a cosigned checkpoint whose body differs from the verified one (a fork) and never serves it', async () => {
    const { checkpoint } = parseCheckpointNote(cosigned);
    const forked = cosignCheckpoint(
      signCheckpoint(
        { ...checkpoint, root: new Uint8Array(32).fill(0xcd) },
        parseSignerKey(world.pipeline.signingKey),
      ),
      w1.signer,
      1_800_000_010,
    );
    const forkedWithBoth = cosignCheckpoint(forked, w2.signer, 1_800_000_011);
    const extra = cosignCheckpoint(
      forkedWithBoth,
      generateNoteKey('w3.example', seed(3), NOTE_ALG_COSIGNATURE_V1).signer,
      1_800_000_012,
    );
    await publishCosigned(size, extra);
    const kind = verifierV1.IntegrityFailureKind.INTEGRITY_FAILURE_KIND_CHECKPOINT_INVALID;
    const failure = await eventually(
      'the fork is reported',
      () => published.find((f) => f.kind === kind && Number(f.number) === size),
      waiting,
    );
    expect(failure.detail).toContain('fork');
    expect(failure.stream).toMatch(/_CHECKPOINTS$/);
    const { rows } = await verifier.pool.query(
      `SELECT count(*) AS n FROM ${SCHEMA}.integrity_failures WHERE kind = $1 AND number = $2`,
      [kind, size],
    );
    expect(Number(rows[0].n)).toBe(1);
    expect((await call(client.getCheckpoint, { size: BigInt(size), cosigned: false })).checkpoint).toBe(
      cosigned,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    const response = await call(client.getReceipt, { eventId: event.eventId, wait: false }, 'acme-auditor');
    expect(parseReceiptJson(response.receiptJson).checkpoint).toBe(cosigned);
  }, 30_000);
});
