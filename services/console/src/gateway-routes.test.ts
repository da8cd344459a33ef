import { readFileSync } from 'node:fs';
import { credentials, status } from '@grpc/grpc-js';
import { encodeImprint, encodeRound, parseImprintText, parseReceiptJson, parseUuid } from '@msi/core';
import { portableHasher } from '@msi/merkle';
import { verifierV1 } from '@msi/proto';
import { createLogger } from '@msi/service-kit';
import { receiptToProto } from '@msi/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ActorSearchResponseJson,
  LineageResponseJson,
  PublicationsResponseJson,
  RoundResponseJson,
  WitnessesResponseJson,
} from './api-types.js';
import { type RunningConsoleServer, startConsoleServer } from './console-server.js';
import { type FakeVerifier, startFakeVerifier } from './fake-verifier.test-helper.js';
import { gatewayRoutes } from './gateway-routes.js';
import { connectUpstreams, type Upstreams } from './upstream.js';

// The routes the console added for issue 18 (search by actor, lineage across hops, witnesses,
// publications, a round) against a fake VerifierService on a real gRPC server: the request each
// sends, the JSON each answers, the caller's key passed on, refusals naming the field, and gRPC
// statuses mapped as the other routes map them.

const receiptText = readFileSync(
  new URL('../../../packages/core/testdata/receipts/valid/process.json', import.meta.url),
  'utf8',
);
const receipt = parseReceiptJson(receiptText);
const ID_A = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const ID_B = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
const ID_C = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d';
const DATA = `sha256:${'ab'.repeat(32)}`;
const OUT = `sha256:${'cd'.repeat(32)}`;
const imprint = (text: string) => Buffer.from(encodeImprint(parseImprintText(text)));
const endpoint = (system: string, region: string) => ({ system, region, host: '' });

function link(kind: verifierV1.LinkKind, id: string, to: string): verifierV1.LineageLink {
  return {
    kind,
    eventId: Buffer.from(parseUuid(id)),
    fromData: [imprint(DATA)],
    toData: [imprint(to)],
    fromTenant: 'acme',
    toTenant: kind === verifierV1.LinkKind.LINK_KIND_TRANSFER ? 'globex' : 'acme',
    source: endpoint('s3', 'eu-west-1'),
    destination: endpoint('sftp', 'us-east-1'),
  };
}

describe('the gateway routes of issue 18, against a fake verifier', () => {
  let fake: FakeVerifier;
  let upstreams: Upstreams;
  let server: RunningConsoleServer;
  let base = '';
  beforeAll(async () => {
    fake = await startFakeVerifier({
      searchByActor: () => ({
        entries: [
          verifierV1.HistoryEntry.fromPartial({
            event: { eventId: Buffer.from(parseUuid(ID_A)), kind: 3, tenant: 'acme', actor: 'etl-job' },
            round: 4n,
            anchored: true,
            receipt: receiptToProto(receipt),
            role: 'actor',
          }),
        ],
        nextPageToken: 'next',
      }),
      getLineage: (request: verifierV1.GetLineageRequest) =>
        request.maxDepth === 9
          ? { fail: status.PERMISSION_DENIED, details: 'needs the auditor role' }
          : {
              hops: [
                {
                  link: link(verifierV1.LinkKind.LINK_KIND_PROCESS, ID_A, OUT),
                  depth: 1,
                  round: 4n,
                  anchored: true,
                  direction: verifierV1.LineageDirection.LINEAGE_DIRECTION_DOWNSTREAM,
                },
                {
                  link: link(verifierV1.LinkKind.LINK_KIND_TRANSFER, ID_B, DATA),
                  depth: 2,
                  round: 0n,
                  anchored: false,
                  direction: verifierV1.LineageDirection.LINEAGE_DIRECTION_DOWNSTREAM,
                },
                {
                  link: link(verifierV1.LinkKind.LINK_KIND_TRANSFER, ID_C, DATA),
                  depth: 2,
                  round: 5n,
                  anchored: true,
                  direction: verifierV1.LineageDirection.LINEAGE_DIRECTION_UPSTREAM,
                },
              ],
              truncated: true,
            },
      getReceipt: (request: verifierV1.GetReceiptRequest) =>
        Buffer.from(request.eventId).equals(Buffer.from(parseUuid(ID_A)))
          ? { receiptJson: receiptText }
          : { fail: status.UNAVAILABLE, details: 'not anchored yet' },
      getWitnessStatus: () => ({
        checkpointSize: 42n,
        witnesses: [
          {
            name: 'witness-a',
            keyId: '0a1b2c3d',
            cosignedSize: 40n,
            cosignedAtUs: 1_000_000n,
            lagEntries: 2n,
            lagUs: 2_000_000n,
          },
        ],
      }),
      listPublications: (request: verifierV1.ListPublicationsRequest) => ({
        publications: [
          { timeUs: 9_000_000n, size: 41n, text: `MSI publication v1\npage ${request.pageSize}\n` },
        ],
        nextPageToken: '',
      }),
      getRound: (request: verifierV1.GetRoundRequest) => ({
        round: Buffer.from(
          encodeRound({
            round: Number(request.selector?.value ?? 0n),
            closedAt: 1_700_000_000_000_000,
            intervalMs: 1000,
            sealsStart: 1,
            sealsEnd: 1,
            sealCount: 0,
            root: portableHasher().emptyRoot(),
          }),
        ),
        seals: [],
        checkpoint: 'the checkpoint note\n',
        sealShardMapVersions: [],
      }),
    });
    upstreams = connectUpstreams({
      verifierAddress: fake.address,
      alerterAddress: fake.address,
      credentials: credentials.createInsecure(),
    });
    server = await startConsoleServer({
      host: '127.0.0.1',
      port: 0,
      staticDir: '/nonexistent',
      routes: gatewayRoutes(upstreams),
      corsOrigins: [],
      log: createLogger({ service: 'console', level: 'error' }),
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
    upstreams.close();
    await fake.stop();
  });

  const post = async (path: string, body: object) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer auditor-key' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const lastCall = (method: string) => fake.calls.filter((c) => c.method === method).at(-1);

  it('searches by actor with the caller key, instants as decimal text, receipts as canonical JSON', async () => {
    const answer = await post('/api/v1/search/actor', {
      actor: 'etl-job',
      fromUs: '1700000000000000',
      toUs: 1_800_000_000_000_000,
      pageSize: 50,
      pageToken: 'p1',
    });
    expect(answer.status).toBe(200);
    const body = answer.body as unknown as ActorSearchResponseJson;
    expect(body.nextPageToken).toBe('next');
    expect(body.entries).toHaveLength(1);
    expect(body.entries[0]).toMatchObject({
      eventId: ID_A,
      role: 'actor',
      round: '4',
      anchored: true,
      actor: 'etl-job',
    });
    expect(body.entries[0]?.receiptJson).toBe(receiptText.trimEnd());
    expect(lastCall('searchByActor')).toEqual({
      method: 'searchByActor',
      request: {
        actor: 'etl-job',
        fromUs: 1_700_000_000_000_000n,
        toUs: 1_800_000_000_000_000n,
        pageSize: 50,
        pageToken: 'p1',
      },
      authorization: 'Bearer auditor-key',
    });
  });

  it('walks the lineage and carries each anchored link its receipt, read with the caller key', async () => {
    const answer = await post('/api/v1/lineage', {
      data: DATA,
      direction: 'downstream',
      maxDepth: 3,
      maxLinks: 100,
    });
    expect(answer.status).toBe(200);
    const body = answer.body as unknown as LineageResponseJson;
    expect(body.truncated).toBe(true);
    expect(body.hops.map((h) => [h.kind, h.eventId, h.depth, h.anchored, h.round, h.direction])).toEqual([
      ['PROCESS', ID_A, 1, true, '4', 'downstream'],
      ['TRANSFER', ID_B, 2, false, '0', 'downstream'],
      ['TRANSFER', ID_C, 2, true, '5', 'upstream'],
    ]);
    expect(body.hops[0]).toMatchObject({ fromData: [DATA], toData: [OUT], receiptJson: receiptText });
    expect(body.hops[0]?.destination).toEqual({ system: 'sftp', region: 'us-east-1', host: '' });
    expect(body.hops[1]?.receiptJson).toBeNull(); // not anchored: no GetReceipt made
    expect(body.hops[2]?.receiptJson).toBeNull(); // GetReceipt answered UNAVAILABLE (not anchored yet)
    expect(body.hops[2]?.toTenant).toBe('globex');
    const request = lastCall('getLineage')?.request as verifierV1.GetLineageRequest | undefined;
    expect([request?.direction, request?.maxDepth, request?.maxLinks]).toEqual([
      verifierV1.LineageDirection.LINEAGE_DIRECTION_DOWNSTREAM,
      3,
      100,
    ]);
    const receipts = fake.calls.filter((c) => c.method === 'getReceipt');
    expect(receipts).toHaveLength(2);
    for (const call of receipts) expect(call.authorization).toBe('Bearer auditor-key');
  });

  it('passes a refusal of the verifier on with its status', async () => {
    expect(await post('/api/v1/lineage', { data: DATA, maxDepth: 9 })).toEqual({
      status: 403,
      body: { code: 'PERMISSION_DENIED', message: 'needs the auditor role' },
    });
  });

  it('reads the witnesses, the publications and a round', async () => {
    const witnesses = (await post('/api/v1/witnesses', {})).body as unknown as WitnessesResponseJson;
    expect(witnesses).toEqual({
      checkpointSize: '42',
      witnesses: [
        {
          name: 'witness-a',
          keyId: '0a1b2c3d',
          cosignedSize: '40',
          cosignedAtUs: '1000000',
          lagEntries: '2',
          lagUs: '2000000',
        },
      ],
    });
    const publications = (await post('/api/v1/publications', { pageSize: 7 }))
      .body as unknown as PublicationsResponseJson;
    expect(publications).toEqual({
      publications: [{ timeUs: '9000000', size: '41', text: 'MSI publication v1\npage 7\n' }],
      nextPageToken: '',
    });
    const round = (await post('/api/v1/round', { round: '12' })).body as unknown as RoundResponseJson;
    expect(round).toEqual({
      round: '12',
      closedAtUs: '1700000000000000',
      intervalMs: 1000,
      sealCount: 0,
      checkpoint: 'the checkpoint note\n',
    });
    expect((lastCall('getRound')?.request as verifierV1.GetRoundRequest | undefined)?.selector).toEqual({
      $case: 'round',
      value: 12n,
    });
    await post('/api/v1/round', { atUs: '5' });
    expect((lastCall('getRound')?.request as verifierV1.GetRoundRequest | undefined)?.selector).toEqual({
      $case: 'atUs',
      value: 5n,
    });
  });

  it('refuses bad fields with 400 FIELD_INVALID naming the field, without calling the verifier', async () => {
    const before = fake.calls.length;
    const cases: [string, object, string][] = [
      ['/api/v1/search/actor', {}, 'actor must be a non-empty string of at most 256 bytes of UTF-8'],
      [
        '/api/v1/search/actor',
        { actor: 'é'.repeat(129) },
        'actor must be a non-empty string of at most 256 bytes of UTF-8',
      ],
      [
        '/api/v1/search/actor',
        { actor: '\ud800' },
        'actor must be a non-empty string of at most 256 bytes of UTF-8',
      ],
      [
        '/api/v1/search/actor',
        { actor: 'a', fromUs: '-1' },
        'fromUs must be a decimal integer 0–9223372036854775807 (text or number)',
      ],
      [
        '/api/v1/search/actor',
        { actor: 'a', toUs: '9223372036854775808' },
        'toUs must be a decimal integer 0–9223372036854775807 (text or number)',
      ],
      ['/api/v1/search/actor', { actor: 'a', pageSize: 1001 }, 'pageSize must be an integer 0–1000'],
      ['/api/v1/lineage', { data: 'sha256:zz' }, 'data must be an imprint such as sha256:<64 hex digits>'],
      [
        '/api/v1/lineage',
        { data: DATA, direction: 'sideways' },
        'direction must be one of upstream, downstream, both',
      ],
      ['/api/v1/lineage', { data: DATA, maxDepth: 17 }, 'maxDepth must be an integer 0–16'],
      ['/api/v1/lineage', { data: DATA, maxLinks: 5001 }, 'maxLinks must be an integer 0–5000'],
      ['/api/v1/publications', { pageToken: 5 }, 'pageToken must be a string of at most 1024 characters'],
      ['/api/v1/round', {}, 'round or atUs must be given (exactly one of them)'],
      ['/api/v1/round', { round: 1, atUs: '2' }, 'round or atUs must be given (exactly one of them)'],
      [
        '/api/v1/round',
        { round: 1.5 },
        'round must be a decimal integer 0–9223372036854775807 (text or number)',
      ],
    ];
    for (const [path, body, message] of cases) {
      expect([path, await post(path, body)]).toEqual([
        path,
        { status: 400, body: { code: 'FIELD_INVALID', message } },
      ]);
    }
    expect(fake.calls.length).toBe(before);
  });
});
