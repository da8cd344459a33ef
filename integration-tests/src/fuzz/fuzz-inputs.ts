import { mintUuidV7 } from '@msi/core';
import { alerterV1, eventV1, ingestV1, type receiptV1, verifierV1 } from '@msi/proto';
import fc from 'fast-check';
import { FUZZ_KEYS, type SeededData } from './fuzz-world.js';

/** Which server an RPC is on. */
export type FuzzService = 'ingest' | 'verifier' | 'alerter';

/** One RPC of the three public servers, and how the fuzzer calls it. */
export interface FuzzRpc {
  readonly service: FuzzService;
  readonly path: string;
  readonly kind: 'unary' | 'server-stream' | 'bidi';
  /** Whether a call needs a valid API key (an answer OK without one is a violation). */
  readonly needsKey: boolean;
  /** The deadline the fuzzer gives a call (a waiting GetReceipt waits until shortly before it). */
  readonly timeoutMs: number;
}

/** One hostile call: the RPC, the API key sent (if any), the raw request bodies (one, or a stream's). */
export interface FuzzInput {
  readonly rpc: FuzzRpc;
  readonly key: string | undefined;
  readonly bodies: readonly Uint8Array[];
  /** How the bodies were made: an encoding of hostile values, a mutation of one, or random bytes. */
  readonly origin: 'encoded' | 'mutated' | 'random';
}

const rpc = (
  service: FuzzService,
  api: string,
  name: string,
  kind: FuzzRpc['kind'],
  needsKey: boolean,
  timeoutMs = 5000,
): FuzzRpc => ({
  service,
  path: `/msi.${service}.v1.${api}/${name}`,
  kind,
  needsKey,
  timeoutMs,
});

/** Every RPC of ingest, the verifier and the alerter. */
export const FUZZ_RPCS = {
  submit: rpc('ingest', 'IngestService', 'Submit', 'unary', true),
  submitBatch: rpc('ingest', 'IngestService', 'SubmitBatch', 'unary', true),
  submitStream: rpc('ingest', 'IngestService', 'SubmitStream', 'bidi', true),
  getReceipt: rpc('verifier', 'VerifierService', 'GetReceipt', 'unary', true, 1000),
  getHistory: rpc('verifier', 'VerifierService', 'GetHistory', 'unary', true),
  verifyReceipt: rpc('verifier', 'VerifierService', 'VerifyReceipt', 'unary', false),
  getCheckpoint: rpc('verifier', 'VerifierService', 'GetCheckpoint', 'unary', false),
  getConsistencyProof: rpc('verifier', 'VerifierService', 'GetConsistencyProof', 'unary', false),
  getRound: rpc('verifier', 'VerifierService', 'GetRound', 'unary', false),
  listAlerts: rpc('alerter', 'AlerterService', 'ListAlerts', 'unary', true),
  watchAlerts: rpc('alerter', 'AlerterService', 'WatchAlerts', 'server-stream', true, 300),
  acknowledgeAlert: rpc('alerter', 'AlerterService', 'AcknowledgeAlert', 'unary', true),
  getPolicy: rpc('alerter', 'AlerterService', 'GetPolicy', 'unary', true),
} as const;

// ---- hostile field values -------------------------------------------------------------------

/** Mostly a plausible value (so calls get past their checks to the data), sometimes hostile ones. */
function mostly<T>(plausible: fc.Arbitrary<T>, ...hostile: fc.Arbitrary<T>[]): fc.Arbitrary<T> {
  return fc.oneof(
    { arbitrary: plausible, weight: 3 },
    ...hostile.map((arbitrary) => ({ arbitrary, weight: 1 })),
  );
}

const U64_EDGES = [
  0n,
  1n,
  2n ** 31n,
  2n ** 32n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
];
const I64_EDGES = [0n, 1n, -1n, 2n ** 31n, 2n ** 53n, 2n ** 63n - 1n, -(2n ** 31n), -(2n ** 63n)];
const U32_EDGES = [0, 1, 100, 1000, 1001, 2 ** 31, 2 ** 32 - 1];

const u64 = fc.oneof(fc.constantFrom(...U64_EDGES), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
const i64 = fc.oneof(fc.constantFrom(...I64_EDGES), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
const u32 = fc.oneof(fc.constantFrom(...U32_EDGES), fc.nat({ max: 2 ** 32 - 1 }));
const i32 = fc.oneof(fc.integer({ min: -1, max: 8 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const text = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      '',
      'acme',
      'globex',
      'ops',
      'alice',
      '\uFFFD',
      '\u0000',
      '../../etc/passwd',
      "'; DROP TABLE x; --",
      '%s%n',
      'classification',
    ),
    weight: 4,
  },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ minLength: 250, maxLength: 2000 }), weight: 1 },
);

/** Microseconds around now (as valid events need), and hostile ones. */
function timesAround(nowMs: number) {
  const now = BigInt(nowMs) * 1000n;
  return fc.oneof(
    { arbitrary: fc.bigInt({ min: -60_000_000n, max: 1_000_000n }).map((d) => now + d), weight: 3 },
    { arbitrary: i64, weight: 1 },
  );
}

function bytesOf(seeded: SeededData) {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...seeded.eventIds, ...seeded.imprints), weight: 3 },
    { arbitrary: fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b)), weight: 2 },
    {
      arbitrary: fc
        .uint8Array({ minLength: 16, maxLength: 16 })
        .map((r) => Buffer.from(mintUuidV7(Date.now(), r))),
      weight: 2,
    },
    {
      arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((d) => Buffer.from([0x01, ...d])),
      weight: 2,
    },
  );
}

function dataEvent(seeded: SeededData) {
  const bytes = bytesOf(seeded);
  const endpoint = fc.record({ system: text, region: text, host: text });
  const hostile = fc.record(
    {
      tenant: fc.oneof(fc.constant(''), text),
      eventId: bytes,
      kind: i32,
      data: bytes,
      inputs: fc.array(bytes, { maxLength: 3 }),
      outputs: fc.array(bytes, { maxLength: 3 }),
      toTenant: fc.oneof(fc.constant(''), fc.constantFrom('acme', 'globex'), text),
      actor: text,
      submitter: fc.oneof(fc.constant(''), text),
      source: fc.option(endpoint, { nil: undefined }),
      destination: fc.option(endpoint, { nil: undefined }),
      occurredAtUs: timesAround(Date.now()),
      receivedAtUs: fc.oneof(fc.constant(0n), i64),
      parents: fc.array(bytes, { maxLength: 2 }),
      attributes: fc.array(fc.record({ key: text, value: text }), { maxLength: 4 }),
      nonce: fc.oneof(fc.constant(Buffer.alloc(0)), bytes),
    },
    { requiredKeys: [] },
  );
  // A valid event (acked, anchored, then seen by the verifier and the alerter), with some of its
  // fields replaced by hostile ones.
  const valid = fc.record({
    eventId: fc
      .uint8Array({ minLength: 16, maxLength: 16 })
      .map((r) => Buffer.from(mintUuidV7(Date.now(), r))),
    kind: fc.constantFrom(eventV1.EventKind.EVENT_KIND_STORE, eventV1.EventKind.EVENT_KIND_ACCESS),
    data: fc.constantFrom(...seeded.imprints),
    actor: fc.constantFrom('alice', 'mallory', 'etl'),
    source: fc.constant({ system: 's3', region: 'eu-west-1', host: '' }),
    occurredAtUs: fc.constant(0n).map(() => BigInt(Date.now() - 1000) * 1000n),
    attributes: fc.constant(0).map(() => [{ key: 'classification', value: 'pii' }]),
  });
  const fieldNames = [
    'tenant',
    'eventId',
    'kind',
    'data',
    'inputs',
    'outputs',
    'toTenant',
    'actor',
    'submitter',
    'source',
    'destination',
    'occurredAtUs',
    'receivedAtUs',
    'parents',
    'attributes',
    'nonce',
  ] as const;
  return fc
    .oneof(
      { arbitrary: hostile, weight: 1 },
      {
        arbitrary: fc
          .tuple(valid, hostile, fc.constantFrom(...fieldNames))
          .map(([v, h, name]) => ({ ...v, ...(name in h ? { [name]: h[name] } : {}) })),
        weight: 2,
      },
      { arbitrary: valid, weight: 1 },
    )
    .map((fields) => eventV1.DataEvent.fromPartial(fields as Partial<eventV1.DataEvent>));
}

function receipt(seeded: SeededData) {
  const proof = fc.record({
    leafIndex: u64,
    treeSize: u64,
    hashes: fc.array(
      fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => Buffer.from(b)),
      { maxLength: 70 },
    ),
  });
  const real = seeded.receipt;
  return fc.oneof(
    { arbitrary: fc.constant(real), weight: 2 },
    {
      arbitrary: fc.record({
        version: fc.oneof(fc.constant(1), u32),
        event: fc.oneof(fc.constant(real.event), bytesOf(seeded)),
        eventProof: fc.oneof(fc.constant(real.eventProof), proof),
        seal: fc.oneof(fc.constant(real.seal), bytesOf(seeded)),
        sealProof: fc.oneof(fc.constant(real.sealProof), proof),
        round: fc.oneof(fc.constant(real.round), bytesOf(seeded)),
        roundProof: fc.oneof(fc.constant(real.roundProof), proof),
        checkpoint: fc.oneof(fc.constant(real.checkpoint), text),
        extension: fc.option(
          fc.record({
            checkpoint: text,
            consistency: fc.array(
              fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)),
              { maxLength: 130 },
            ),
          }),
          {
            nil: undefined,
          },
        ),
      }),
      weight: 1,
    },
  ) as fc.Arbitrary<receiptV1.Receipt>;
}

/** An encoding of hostile values for each RPC (valid protobuf; what a careless or hostile client sends). */
function encodings(seeded: SeededData): Record<keyof typeof FUZZ_RPCS, fc.Arbitrary<Uint8Array[]>> {
  const event = dataEvent(seeded);
  const one = <T>(arbitrary: fc.Arbitrary<T>, encode: (value: T) => Uint8Array) =>
    arbitrary.map((v) => [encode(v)]);
  const filter = fc.option(
    fc.record({
      tenant: mostly(fc.constantFrom('', 'acme', 'globex'), text),
      minSeverity: mostly(fc.integer({ min: 0, max: 4 }), i32),
      category: mostly(fc.integer({ min: 0, max: 3 }), i32),
      rule: mostly(fc.constantFrom('', 'use-after-delete', 'auth-failure-burst'), text),
      status: mostly(fc.integer({ min: 0, max: 2 }), i32),
    }),
    { nil: undefined },
  );
  const keys = mostly(
    fc.constant([seeded.calendarKey]).map((k) => [...k]),
    fc.array(fc.oneof(fc.constant(seeded.calendarKey), text), { maxLength: 20 }),
  );
  const pageSize = mostly(fc.constantFrom(0, 1, 10, 1000), u32);
  const seededBytes = mostly(fc.constantFrom(...seeded.eventIds, ...seeded.imprints), bytesOf(seeded));
  return {
    submit: one(fc.option(event, { nil: undefined }), (e) =>
      ingestV1.SubmitRequest.encode({ event: e }).finish(),
    ),
    submitBatch: one(fc.array(event, { maxLength: 6 }), (events) =>
      ingestV1.SubmitBatchRequest.encode({ events }).finish(),
    ),
    submitStream: fc
      .array(fc.tuple(fc.oneof(fc.constant(undefined), u64), fc.array(event, { maxLength: 3 })), {
        minLength: 1,
        maxLength: 3,
      })
      .map((requests) =>
        requests.map(([sequence, events], i) =>
          ingestV1.SubmitStreamRequest.encode({ sequence: sequence ?? BigInt(i + 1), events }).finish(),
        ),
      ),
    getReceipt: one(fc.record({ eventId: seededBytes, wait: fc.boolean() }), (r) =>
      verifierV1.GetReceiptRequest.encode(r).finish(),
    ),
    getHistory: one(
      fc.record({
        data: mostly(fc.constantFrom(...seeded.imprints), bytesOf(seeded)),
        fromUs: mostly(fc.constant(0n), timesAround(Date.now()), i64),
        toUs: mostly(fc.constant(0n), timesAround(Date.now()), i64),
        pageSize,
        pageToken: fc.oneof(fc.constantFrom('', '0', '1', '100'), text),
      }),
      (r) => verifierV1.GetHistoryRequest.encode(r).finish(),
    ),
    verifyReceipt: one(
      fc.record({
        receipt: fc.option(receipt(seeded), { nil: undefined }),
        trustedKeys: keys,
        witnessKeys: mostly(
          fc.constant(0).map(() => []),
          fc.array(text, { maxLength: 70 }),
        ),
        quorum: mostly(fc.constant(0), u32),
      }),
      (r) => verifierV1.VerifyReceiptRequest.encode(r).finish(),
    ),
    getCheckpoint: one(u64, (size) =>
      verifierV1.GetCheckpointRequest.encode({ size, cosigned: false }).finish(),
    ),
    getConsistencyProof: one(fc.record({ oldSize: u64, newSize: u64 }), (r) =>
      verifierV1.GetConsistencyProofRequest.encode(r).finish(),
    ),
    getRound: one(
      fc.oneof(
        fc.constant(undefined),
        u64.map((value) => ({ $case: 'round' as const, value })),
        i64.map((value) => ({ $case: 'atUs' as const, value })),
      ),
      (selector) => verifierV1.GetRoundRequest.encode({ selector }).finish(),
    ),
    listAlerts: one(fc.record({ filter, pageSize, beforeSequence: mostly(fc.constant(0n), u64) }), (r) =>
      alerterV1.ListAlertsRequest.encode(r).finish(),
    ),
    watchAlerts: one(
      fc.record({ filter, afterSequence: mostly(fc.constant(0n), u64), onlyNew: fc.boolean() }),
      (r) => alerterV1.WatchAlertsRequest.encode(r).finish(),
    ),
    acknowledgeAlert: one(
      fc.record({
        alertId: fc.oneof(
          fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
          text,
        ),
        note: text,
      }),
      (r) => alerterV1.AcknowledgeAlertRequest.encode(r).finish(),
    ),
    getPolicy: one(fc.constant({}), () => alerterV1.GetPolicyRequest.encode({}).finish()),
  };
}

// ---- mutations of encoded bodies ------------------------------------------------------------

/** Byte sequences that are not UTF-8: a lone continuation byte, an overlong NUL, a surrogate, 0xff. */
const NOT_UTF8 = [[0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff], [0xf8, 0x88, 0x80, 0x80, 0x80]];

/** A mutation of a body: flip a byte, cut it, insert or overwrite bytes (UTF-8 breakers among them). */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ op: fc.constant('spoil-utf8' as const), at: fc.nat(), bytes: fc.constantFrom(...NOT_UTF8) }),
  fc.record({
    op: fc.constant('append-field' as const),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
  }),
);

function mutate(body: Uint8Array, m: MutationValue): Uint8Array {
  const b = Buffer.from(body);
  const at = b.length === 0 ? 0 : m.op === 'append-field' ? 0 : m.at % (b.length + 1);
  switch (m.op) {
    case 'flip':
      if (b.length > 0) b[at % b.length] = (b[at % b.length] ?? 0) ^ (1 << m.bit);
      return b;
    case 'truncate':
      return b.subarray(0, at);
    case 'insert':
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    case 'spoil-utf8': {
      const out = Buffer.from(b);
      for (const [i, byte] of m.bytes.entries()) if (at + i < out.length) out[at + i] = byte;
      return out;
    }
    case 'append-field':
      return Buffer.concat([b, Buffer.from(m.bytes)]);
  }
}

type MutationValue =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'spoil-utf8'; at: number; bytes: readonly number[] }
  | { op: 'append-field'; bytes: Uint8Array };

// ---- whole inputs ---------------------------------------------------------------------------

/** Who calls: nobody, a wrong key, either tenant, or the operator. */
const keyArbitrary = fc.constantFrom<string | undefined>(
  undefined,
  'not-a-key',
  ...FUZZ_KEYS.map((k) => k.key),
);

/**
 * Hostile calls of every RPC: encodings of hostile values (half), their mutations (a third) and
 * random bytes (the rest), each with or without a valid API key of either tenant or the operator.
 */
export function fuzzInputs(seeded: SeededData): fc.Arbitrary<FuzzInput> {
  const encoded = encodings(seeded);
  const names = Object.keys(FUZZ_RPCS) as (keyof typeof FUZZ_RPCS)[];
  return fc.constantFrom(...names).chain((name) => {
    const rpcOf = FUZZ_RPCS[name];
    const bodies = encoded[name];
    const mutated = fc
      .tuple(
        bodies,
        fc.array(mutation as fc.Arbitrary<MutationValue>, { minLength: 1, maxLength: 3 }),
        fc.nat(),
      )
      .map(([list, ms, which]) =>
        list.map((body, i) => (i === which % list.length ? ms.reduce((b, m) => mutate(b, m), body) : body)),
      );
    const random = fc.array(fc.uint8Array({ maxLength: 200 }), {
      minLength: 1,
      maxLength: rpcOf.kind === 'bidi' ? 3 : 1,
    });
    return fc
      .record({
        rpc: fc.constant(rpcOf),
        key: keyArbitrary,
        origin: fc.oneof(
          { arbitrary: fc.constant('encoded' as const), weight: 3 },
          { arbitrary: fc.constant('mutated' as const), weight: 2 },
          { arbitrary: fc.constant('random' as const), weight: 1 },
        ),
      })
      .chain(({ rpc: r, key, origin }) => {
        const made = origin === 'encoded' ? bodies : origin === 'mutated' ? mutated : random;
        return made.map((list) => ({ rpc: r, key, origin, bodies: list }));
      });
  });
}
