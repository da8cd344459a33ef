import { BinaryReader } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventV1, receiptV1 } from './index.js';

// These tests prove the ts-proto options in proto/buf.gen.yaml took effect: 64-bit fields are bigint
// and survive values beyond 2^53, bytes are Buffer (env=node), uint64 range is enforced on encode,
// and EventKind carries exactly the canonical kind codes of docs/PROOFS.md §4.

const { DataEvent, EventKind } = eventV1;
const { Receipt, InclusionProof } = receiptV1;
type DataEvent = eventV1.DataEvent;
type Receipt = receiptV1.Receipt;

const bytes = (length: number, fill: number): Buffer => Buffer.alloc(length, fill);

function sampleEvent(): DataEvent {
  return {
    tenant: 'acme',
    eventId: bytes(16, 0x71),
    kind: EventKind.EVENT_KIND_PROCESS,
    data: Buffer.concat([Buffer.of(0x01), bytes(32, 0xaa)]),
    inputs: [bytes(33, 1), bytes(33, 2)],
    outputs: [bytes(33, 3)],
    toTenant: '',
    actor: 'alice@acme',
    submitter: 'svc-etl',
    source: { system: 'postgres', region: 'eu-west-1', host: 'db-1' },
    destination: { system: 's3', region: '', host: '' },
    // 2^53 + 1 microseconds: not representable as a JS number.
    occurredAtUs: 2n ** 53n + 1n,
    receivedAtUs: 2n ** 62n + 12345n,
    parents: [bytes(16, 0x72), bytes(16, 0x73)],
    attributes: [
      { key: 'job', value: 'nightly' },
      { key: 'step', value: '3' },
    ],
    nonce: bytes(16, 0x5a),
  };
}

function sampleReceipt(): Receipt {
  const proof = (leafIndex: bigint, treeSize: bigint, n: number): receiptV1.InclusionProof => ({
    leafIndex,
    treeSize,
    hashes: Array.from({ length: n }, (_, i) => bytes(32, i)),
  });
  return {
    version: 1,
    event: bytes(120, 0x45),
    eventProof: proof(3n, 7n, 3),
    seal: bytes(77, 0x53),
    // the largest uint64 and one below it
    sealProof: proof(2n ** 64n - 2n, 2n ** 64n - 1n, 64),
    round: bytes(81, 0x52),
    roundProof: proof(2n ** 53n, 2n ** 53n + 1n, 1),
    checkpoint: 'msi.example/calendar\n9007199254740993\nAAAA\n\n— msi.example/calendar AAAAAA==\n',
    extension: { checkpoint: 'later', consistency: [bytes(32, 9), bytes(32, 8)] },
  };
}

describe('DataEvent', () => {
  it('round-trips every field, 64-bit times as bigint beyond 2^53', () => {
    const event = sampleEvent();
    const decoded = DataEvent.decode(DataEvent.encode(event).finish());
    expect(decoded).toEqual(event);
    expect(typeof decoded.occurredAtUs).toBe('bigint');
    expect(decoded.occurredAtUs).toBe(2n ** 53n + 1n);
    expect(decoded.receivedAtUs).toBe(event.receivedAtUs);
  });

  it('decodes bytes fields as Buffer (env=node)', () => {
    const decoded = DataEvent.decode(DataEvent.encode(sampleEvent()).finish());
    for (const b of [decoded.eventId, decoded.data, decoded.nonce, ...decoded.inputs, ...decoded.parents]) {
      expect(Buffer.isBuffer(b)).toBe(true);
    }
  });

  it('writes occurred_at_us as a standard int64 varint (field 12)', () => {
    const event = DataEvent.fromPartial({ occurredAtUs: 2n ** 60n + 7n });
    const reader = new BinaryReader(DataEvent.encode(event).finish());
    const [field, wireType] = reader.tag();
    expect([field, wireType]).toEqual([12, 0]);
    expect(reader.int64()).toBe(2n ** 60n + 7n);
    expect(reader.pos).toBe(reader.len);
  });

  it('decodes an empty message to proto3 defaults with absent endpoints', () => {
    const decoded = DataEvent.decode(new Uint8Array(0));
    expect(decoded.kind).toBe(EventKind.EVENT_KIND_UNSPECIFIED);
    expect(decoded.occurredAtUs).toBe(0n);
    expect(decoded.source).toBeUndefined();
    expect(decoded.attributes).toEqual([]);
  });

  it('has EventKind values equal to the canonical kind codes', () => {
    const canonical = ['TRANSFER', 'PROCESS', 'STORE', 'ACCESS', 'DELETE', 'STATE'] as const;
    canonical.forEach((name, i) => {
      expect(EventKind[`EVENT_KIND_${name}`]).toBe(i + 1);
    });
    expect(EventKind.EVENT_KIND_UNSPECIFIED).toBe(0);
    // unrecognizedEnum=false: no UNRECOGNIZED member, so switches over EventKind are exact
    expect(Object.keys(EventKind).filter((k) => Number.isNaN(Number(k)))).toHaveLength(canonical.length + 1);
  });

  it('round-trips arbitrary events', () => {
    const buf = (min: number, max: number) =>
      fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));
    const endpoint = fc.option(fc.record({ system: fc.string(), region: fc.string(), host: fc.string() }), {
      nil: undefined,
    });
    const event = fc.record({
      tenant: fc.string(),
      eventId: buf(16, 16),
      kind: fc.constantFrom(...Object.values(EventKind).filter((v) => typeof v === 'number')),
      data: buf(0, 65),
      inputs: fc.array(buf(0, 65), { maxLength: 4 }),
      outputs: fc.array(buf(0, 65), { maxLength: 4 }),
      toTenant: fc.string(),
      actor: fc.string(),
      submitter: fc.string(),
      source: endpoint,
      destination: endpoint,
      occurredAtUs: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      receivedAtUs: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      parents: fc.array(buf(16, 16), { maxLength: 4 }),
      attributes: fc.array(fc.record({ key: fc.string(), value: fc.string() }), { maxLength: 4 }),
      nonce: buf(16, 16),
    });
    fc.assert(
      fc.property(event, (e) => {
        expect(DataEvent.decode(DataEvent.encode(e).finish())).toEqual(e);
      }),
      { numRuns: 100 },
    );
  });
});

describe('Receipt', () => {
  it('round-trips every field, uint64 proof indices up to 2^64 - 1', () => {
    const receipt = sampleReceipt();
    const decoded = Receipt.decode(Receipt.encode(receipt).finish());
    expect(decoded).toEqual(receipt);
    expect(decoded.sealProof?.treeSize).toBe(2n ** 64n - 1n);
    expect(typeof decoded.roundProof?.leafIndex).toBe('bigint');
  });

  it('keeps an absent extension absent', () => {
    const { extension: _, ...rest } = sampleReceipt();
    const receipt: Receipt = { ...rest, extension: undefined };
    const decoded = Receipt.decode(Receipt.encode(receipt).finish());
    expect(decoded.extension).toBeUndefined();
    expect(decoded).toEqual(receipt);
  });

  it('refuses to encode a uint64 out of range instead of truncating it', () => {
    for (const leafIndex of [2n ** 64n, -1n]) {
      const proof: receiptV1.InclusionProof = { leafIndex, treeSize: 1n, hashes: [] };
      expect(() => InclusionProof.encode(proof)).toThrow(/too large/);
    }
  });

  it('builds messages from partials, coercing 64-bit inputs to bigint', () => {
    const proof = InclusionProof.fromPartial({ leafIndex: '9007199254740993', treeSize: 10 });
    expect(proof).toEqual({ leafIndex: 2n ** 53n + 1n, treeSize: 10n, hashes: [] });
  });
});
