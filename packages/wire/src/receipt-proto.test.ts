import { type Receipt, receiptToJson } from '@msi/core';
import { receiptV1 } from '@msi/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  joinReceiptParts,
  receiptAnchorToProto,
  receiptEventToProto,
  receiptFromProto,
  receiptToProto,
} from './receipt-proto.js';
import { WireError } from './wire-error.js';

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const proof = fc.record({
  leafIndex: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  treeSize: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  hashes: fc.array(hash, { maxLength: 8 }),
});
const receipt: fc.Arbitrary<Receipt> = fc
  .record({
    event: bytes(400),
    eventProof: proof,
    seal: bytes(81),
    sealProof: proof,
    round: bytes(77),
    roundProof: proof,
    checkpoint: fc.string(),
    extension: fc.option(
      fc.record({ checkpoint: fc.string(), consistency: fc.array(hash, { maxLength: 8 }) }),
      { nil: undefined },
    ),
  })
  .map(({ extension, ...rest }) => ({
    version: 1 as const,
    ...rest,
    ...(extension === undefined ? {} : { extension }),
  }));

describe('receipt protobuf form', () => {
  it('round-trips JSON ⇄ protobuf losslessly (through the wire bytes)', () => {
    fc.assert(
      fc.property(receipt, (original) => {
        const wire = receiptV1.Receipt.encode(receiptToProto(original)).finish();
        const back = receiptFromProto(receiptV1.Receipt.decode(wire));
        expect(receiptToJson(back)).toBe(receiptToJson(original));
      }),
      { numRuns: 200 },
    );
  });

  it("an anchor and a receipt's own parts join into the whole receipt, as protobuf merging does", () => {
    fc.assert(
      fc.property(receipt, (original) => {
        const whole = receiptV1.Receipt.encode(receiptToProto(original)).finish();
        const anchor = receiptV1.Receipt.encode(receiptAnchorToProto(original)).finish();
        const own = receiptV1.Receipt.encode(receiptEventToProto(original)).finish();
        const joined = joinReceiptParts(receiptV1.Receipt.decode(anchor), receiptV1.Receipt.decode(own));
        expect(Buffer.from(receiptV1.Receipt.encode(joined).finish())).toEqual(Buffer.from(whole));
        // The anchor's bytes followed by the receipt's own decode as the whole receipt (merging).
        const merged = receiptV1.Receipt.decode(Buffer.concat([anchor, own]));
        expect(receiptToJson(receiptFromProto(merged))).toBe(receiptToJson(original));
        // Neither part alone is a receipt that carries the other's fields.
        expect(receiptV1.Receipt.decode(anchor).event).toHaveLength(0);
        expect(receiptV1.Receipt.decode(own).checkpoint).toBe('');
      }),
      { numRuns: 200 },
    );
  });

  it('refuses to join parts of different receipt versions, naming the field', () => {
    const r = {
      version: 1 as const,
      event: new Uint8Array(1),
      eventProof: { leafIndex: 0, treeSize: 1, hashes: [] },
      seal: new Uint8Array(1),
      sealProof: { leafIndex: 0, treeSize: 1, hashes: [] },
      round: new Uint8Array(1),
      roundProof: { leafIndex: 0, treeSize: 1, hashes: [] },
      checkpoint: 'x',
    };
    const own = { ...receiptEventToProto(r), version: 2 };
    expect(() => joinReceiptParts(receiptAnchorToProto(r), own, 'receipts[3].receipt')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'receipts[3].receipt.version' }),
    );
    expect(joinReceiptParts(receiptAnchorToProto(r), receiptEventToProto(r)).checkpoint).toBe('x');
  });

  it('names the field of a bad protobuf receipt', () => {
    const message = receiptToProto({
      version: 1,
      event: new Uint8Array(1),
      eventProof: { leafIndex: 0, treeSize: 1, hashes: [] },
      seal: new Uint8Array(1),
      sealProof: { leafIndex: 0, treeSize: 1, hashes: [] },
      round: new Uint8Array(1),
      roundProof: { leafIndex: 0, treeSize: 1, hashes: [] },
      checkpoint: '',
    });
    const tooBig = { ...message, roundProof: { leafIndex: 0n, treeSize: 2n ** 60n, hashes: [] } };
    expect(() => receiptFromProto(tooBig)).toThrow(WireError);
    expect(() => receiptFromProto(tooBig)).toThrow(/receipt.round_proof.tree_size/);
    expect(() => receiptFromProto({ ...message, version: 2 })).toThrow(/version/);
    expect(() => receiptFromProto({ ...message, sealProof: undefined })).toThrow(/seal_proof/);
  });
});
