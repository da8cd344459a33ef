import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { verifyInclusion } from '@msi/merkle';
import { decode, encode, type Tag } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { parseCheckpointNote } from '../checkpoint/index.js';
import { decodeUtf8 } from '../encoding/index.js';
import { decodeEvent } from '../event/index.js';
import { type NoteVerifierKey, portableEd25519, verifierKeyOf } from '../note/index.js';
import { buildWorld, hasher, logKey, otherLogKey } from '../receipt/receipt-world.test-helper.js';
import { type CborMap, type CborValue, decodeCbor, encodeCbor } from './cbor.js';
import { cddlProblems } from './cddl-structure.test-helper.js';
import { coseReceiptOf, readCoseReceipt } from './cose-receipt.js';
import { coseSigStructure, readCoseTreeHead, signCoseTreeHead } from './cose-tree-head.js';
import { ScittError, type ScittFailureCode } from './scitt-error.js';
import { verifyCoseReceipt } from './verify-cose-receipt.js';

/*
 * The world: 4 rounds, 7 events.   round 0: seal [e0 e1]   round 1: seals [e2] [e3]
 *                                  round 2: empty          round 3: seal [e4 e5 e6]
 */
const world = buildWorld([[2], [1, 1], [], [3]]);
const crypto = { hasher, ed25519: portableEd25519() };
const trust = { logKeys: [verifierKeyOf(logKey.signer)] };
const OPTIONS = { cde: true, preferMap: true } as const;

function treeHead(size: number): Uint8Array {
  return signCoseTreeHead(logKey.signer, parseCheckpointNote(world.checkpointAt(size)).checkpoint);
}
function cose(i: number, size = world.calendarSize): Uint8Array {
  return coseReceiptOf(world.receipt(i, size), treeHead(size));
}
function codeOf(check: () => unknown): ScittFailureCode | 'passed' {
  try {
    check();
    return 'passed';
  } catch (error: unknown) {
    if (error instanceof ScittError) return error.code;
    throw error;
  }
}
/** Decodes a receipt, lets `change` edit the COSE_Sign1 array, re-encodes deterministically. */
function edited(
  bytes: Uint8Array,
  change: (sign1: CborValue[], unprotected: Map<number | string, CborValue>) => void,
) {
  const tag = decodeCbor(bytes) as { tag: number; value: CborValue[] };
  const sign1 = [...tag.value];
  const unprotected = new Map(sign1[1] as CborMap);
  sign1[1] = unprotected;
  change(sign1, unprotected);
  return encodeCbor({ tag: tag.tag, value: sign1 });
}

describe('COSE receipts (draft-ietf-cose-merkle-tree-proofs, RFC9162_SHA256)', () => {
  it('verifies every event at every calendar size that holds its round', () => {
    for (let i = 0; i < world.eventCount; i++) {
      for (let size = Math.max(2, world.roundOf(i) + 1); size <= world.calendarSize; size++) {
        const verified = verifyCoseReceipt(cose(i, size), trust, crypto);
        const { checkpoint } = parseCheckpointNote(world.checkpointAt(size));
        expect(verified.round.round).toBe(world.roundOf(i));
        expect(verified.size).toBe(size);
        expect(verified.origin).toBe(checkpoint.origin);
        expect(Buffer.from(verified.root).equals(Buffer.from(checkpoint.root))).toBe(true);
        expect(verified.event).toEqual(decodeEvent(world.receipt(i).event));
      }
    }
  });

  it('matches the CDDL of schemas/msi-cose-receipt-v1.cddl (structural checker, independent decoder)', () => {
    for (let i = 0; i < world.eventCount; i++) expect(cddlProblems(cose(i), 'msi-cose-receipt')).toEqual([]);
    expect(cddlProblems(treeHead(4), 'msi-cose-tree-head')).toEqual([]);
    expect(cddlProblems(treeHead(4), 'msi-cose-receipt')).not.toEqual([]);
    const extra = edited(cose(0), (_, unprotected) => unprotected.set(7, 0));
    expect(cddlProblems(extra, 'msi-cose-receipt')).toContain('unprotected header: exactly 396, -65537');
  });

  it('verifies as a generic COSE verifier does: cbor2 decoding, RFC 9162 root, node:crypto Ed25519', () => {
    const receipt = decode(cose(4), OPTIONS) as Tag;
    const [protectedBytes, unprotected, , signature] = receipt.contents as [
      Uint8Array,
      Map<number, unknown>,
      null,
      Uint8Array,
    ];
    const header = decode(protectedBytes, OPTIONS) as Map<number, unknown>;
    expect([receipt.tag, header.get(1), header.get(395)]).toEqual([18, -8, 1]);
    const proofs = (unprotected.get(396) as Map<number, Uint8Array[]>).get(-1) ?? [];
    const [size, index, path] = decode(proofs[0] as Uint8Array, OPTIONS) as [number, number, Uint8Array[]];
    const entry = (unprotected.get(-65537) as unknown[])[5] as Uint8Array; // the round record
    const root = parseCheckpointNote(world.checkpointAt(size)).checkpoint.root;
    verifyInclusion(hasher, index, size, hasher.hashLeaf(entry), path, root);
    const sigStructure = encode(['Signature1', protectedBytes, new Uint8Array(0), root], { cde: true });
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), logKey.signer.publicKey]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(nodeVerify(null, sigStructure, key, signature)).toBe(true);
    expect(Buffer.from(sigStructure).equals(Buffer.from(coseSigStructure(protectedBytes, root)))).toBe(true);
  });

  it('reuses one tree head for every receipt of a calendar size', () => {
    const head = readCoseTreeHead(treeHead(4));
    for (let i = 0; i < world.eventCount; i++) {
      const { treeHead: carried } = readCoseReceipt(cose(i));
      expect(carried).toEqual(head);
    }
    expect(treeHead(4)).toEqual(treeHead(4)); // Ed25519 is deterministic: the tile file never changes
    expect(readCoseTreeHead(treeHead(3)).signature).not.toEqual(head.signature);
  });

  it('fails verification for a change of any byte', () => {
    const bytes = cose(3);
    for (let at = 0; at < bytes.length; at++) {
      for (const flip of [0x01, 0x80]) {
        const mutated = bytes.slice();
        mutated[at] = (mutated[at] as number) ^ flip;
        expect(
          codeOf(() => verifyCoseReceipt(mutated, trust, crypto)),
          `byte ${at} ^ ${flip}`,
        ).not.toBe('passed');
      }
    }
    expect(codeOf(() => verifyCoseReceipt(bytes.subarray(0, bytes.length - 1), trust, crypto))).toBe(
      'SCITT_MALFORMED',
    );
    expect(codeOf(() => verifyCoseReceipt(Uint8Array.from([...bytes, 0]), trust, crypto))).toBe(
      'SCITT_MALFORMED',
    );
  });

  it('names the failed step', () => {
    const bytes = cose(3);
    const other = { logKeys: [verifierKeyOf(otherLogKey.signer)] };
    const impostor: NoteVerifierKey = {
      ...verifierKeyOf(logKey.signer),
      publicKey: otherLogKey.signer.publicKey,
    };
    const wrongLeaf = edited(bytes, (_, u) => {
      const proof = decodeCbor(
        ((u.get(396) as CborMap).get(-1) as Uint8Array[])[0] as Uint8Array,
      ) as CborValue[];
      u.set(396, new Map([[-1, [encodeCbor([proof[0] ?? 0, 0, proof[2] ?? []])]]]));
    });
    const consistency = edited(bytes, (_, u) => {
      u.set(396, new Map([...(u.get(396) as CborMap), [-2, []]]));
    });
    const levels = (change: (l: CborValue[]) => void) =>
      edited(bytes, (_, u) => {
        const l = [...(u.get(-65537) as CborValue[])];
        change(l);
        u.set(-65537, l);
      });
    const flip = (b: CborValue) => {
      const c = (b as Uint8Array).slice();
      c[c.length - 1] = (c[c.length - 1] as number) ^ 1;
      return c;
    };
    const protectedWith = (label: number, value: CborValue) =>
      edited(bytes, (s) => {
        const header = new Map(decodeCbor(s[0] as Uint8Array) as CborMap);
        header.set(label, value);
        s[0] = encodeCbor(header);
      });
    const cases: [Uint8Array, ScittFailureCode, typeof trust?][] = [
      [encodeCbor([1, 2]), 'SCITT_MALFORMED'],
      [edited(bytes, (s) => (s[2] = new Uint8Array(32))), 'SCITT_MALFORMED'],
      [protectedWith(1, -7), 'SCITT_UNSUPPORTED'],
      [protectedWith(395, 2), 'SCITT_UNSUPPORTED'],
      [protectedWith(3, 'text/plain'), 'SCITT_MALFORMED'],
      [consistency, 'SCITT_MALFORMED'],
      [levels((l) => (l[0] = 2)), 'SCITT_UNSUPPORTED'],
      [levels((l) => (l[1] = (l[1] as Uint8Array).subarray(0, 10))), 'EVENT_MALFORMED'],
      [levels((l) => (l[1] = flip(l[1] ?? null))), 'EVENT_PROOF_INVALID'],
      [levels((l) => (l[3] = (l[3] as Uint8Array).subarray(1))), 'SEAL_MALFORMED'],
      [levels((l) => (l[5] = (l[5] as Uint8Array).subarray(1))), 'ROUND_MALFORMED'],
      [levels((l) => (l[3] = flip(l[3] ?? null))), 'EVENT_PROOF_INVALID'], // the seal's root
      [levels((l) => (l[5] = flip(l[5] ?? null))), 'SEAL_PROOF_INVALID'],
      [wrongLeaf, 'ROUND_PROOF_INVALID'],
      [protectedWith(-65538, 3), 'ROUND_PROOF_INVALID'],
      [bytes, 'UNTRUSTED_KEY', other],
      [bytes, 'SIGNATURE_INVALID', { logKeys: [impostor] }],
      [
        coseReceiptOf(
          world.receipt(3),
          signCoseTreeHead(otherLogKey.signer, parseCheckpointNote(world.checkpointAt(4)).checkpoint),
        ),
        'UNTRUSTED_KEY',
      ],
    ];
    for (const [input, code, by = trust] of cases)
      expect(codeOf(() => verifyCoseReceipt(input, by, crypto))).toBe(code);
  });

  it('is made only from the tree head of the receipt’s own checkpoint, and only with an inclusion path', () => {
    expect(codeOf(() => coseReceiptOf(world.receipt(3, 4), treeHead(3)))).toBe('TREE_HEAD_MISMATCH');
    expect(codeOf(() => coseReceiptOf(world.receipt(0, 1), treeHead(1)))).toBe('TREE_HEAD_MISMATCH');
    const foreign = { ...logKey.signer, name: 'other.test/log', sign: logKey.signer.sign };
    expect(
      codeOf(() => signCoseTreeHead(foreign, parseCheckpointNote(world.checkpointAt(4)).checkpoint)),
    ).toBe('TREE_HEAD_MISMATCH');
  });

  it('signs a message no signed note or cosignature can be (domain separation from the checkpoint key)', () => {
    const message = coseSigStructure(readCoseTreeHead(treeHead(4)).protectedHeader, new Uint8Array(32));
    // 0x84 (array of 4), 0x6a "Signature1": a continuation byte cannot start UTF-8 text
    expect([...message.subarray(0, 12)]).toEqual([0x84, 0x6a, ...Buffer.from('Signature1')]);
    expect(() => decodeUtf8(message)).toThrow();
  });
});
