import { type Receipt, receiptToJson } from '@msi/core';
import { receiptV1 } from '@msi/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { receiptFromProto, receiptToProto } from './receipt-proto.js';
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
