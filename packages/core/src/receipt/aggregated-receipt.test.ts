import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../event/index.js';
import { canonicalJson } from '../json/index.js';
import { type Ed25519Verifier, encodeBase64, portableEd25519 } from '../note/index.js';
import { type AggregateWorld, buildAggregateWorld } from './aggregate-world.test-helper.js';
import type { AggregatedReceipt } from './aggregated-receipt.js';
import {
  aggregatedReceiptToJson,
  formatAggregatedReceipt,
  parseAggregatedReceiptJson,
} from './aggregated-receipt-json.js';
import { ReceiptError } from './receipt-error.js';
import { receiptToJson } from './receipt-json.js';
import { ReceiptVerifier } from './receipt-verifier.js';
import { hasher, trustAll } from './receipt-world.test-helper.js';
import { verifyAggregatedReceipt } from './verify-aggregated-receipt.js';

const crypto = { hasher, ed25519: portableEd25519() };
const strictTrust = { ...trustAll, quorum: 2, strict: true };
const world: AggregateWorld = buildAggregateWorld(7);

function failureCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof ReceiptError) return error.code;
    throw error;
  }
  return undefined;
}

const jsonOf = (r: AggregatedReceipt) => aggregatedReceiptToJson(r);

describe('receipt v2 (docs/PROOFS.md §13)', () => {
  it('proves every event of a local tree: the event, its tree position, the root event, its round', () => {
    for (let i = 0; i < 7; i++) {
      const proven = verifyAggregatedReceipt(jsonOf(world.receipt(i)), strictTrust, crypto);
      expect(proven.event).toEqual(world.events[i]);
      expect(proven).toMatchObject({
        version: 2,
        leafIndex: i,
        leafCount: 7,
        tenant: 'acme',
        submitter: 'gateway',
        receivedAt: world.rootEvent.receivedAt,
      });
      expect(proven.localRoot).toEqual(world.localTree.root());
      expect(proven.rootReceipt.round.round).toBe(1);
      expect(proven.rootReceipt.witnesses.map((w) => w.name)).toEqual(['witness.test/a', 'witness.test/b']);
    }
  });

  it('is canonical JSON of its value, and its bytes form is the same text', () => {
    const receipt = world.receipt(3);
    const text = jsonOf(receipt);
    const value = {
      version: 2,
      event: encodeBase64(receipt.event),
      localProof: {
        leafIndex: 3,
        treeSize: 7,
        hashes: receipt.localProof.hashes.map(encodeBase64),
      },
      rootReceipt: JSON.parse(receiptToJson(receipt.rootReceipt)),
    };
    expect(text).toBe(canonicalJson(value));
    const bytes = formatAggregatedReceipt(
      receipt.event,
      receipt.localProof,
      new TextEncoder().encode(receiptToJson(receipt.rootReceipt)),
    );
    expect(new TextDecoder().decode(bytes)).toBe(text);
    expect(parseAggregatedReceiptJson(`${text}\n`)).toEqual(receipt);
  });

  it('handles a tree of one event (an empty local proof)', () => {
    const one = buildAggregateWorld(1);
    const text = jsonOf(one.receipt(0));
    expect(text).toContain('"localProof":{"hashes":[],"leafIndex":0,"treeSize":1}');
    expect(verifyAggregatedReceipt(text, trustAll, crypto).leafCount).toBe(1);
  });

  it.each([
    [
      'another leaf index',
      (r: AggregatedReceipt) => ({ ...r, localProof: { ...r.localProof, leafIndex: 4 } }),
      'LOCAL_PROOF_INVALID',
    ],
    [
      'a tree size other than the leaf count',
      (r: AggregatedReceipt) => ({ ...r, localProof: { ...r.localProof, treeSize: 8 } }),
      'LOCAL_PROOF_INVALID',
    ],
    [
      'a proof hash short',
      (r: AggregatedReceipt) => ({
        ...r,
        localProof: { ...r.localProof, hashes: r.localProof.hashes.slice(1) },
      }),
      'LOCAL_PROOF_INVALID',
    ],
    [
      'the event of another leaf',
      (r: AggregatedReceipt) => ({ ...r, event: world.eventBytes[2] as Uint8Array }),
      'LOCAL_PROOF_INVALID',
    ],
    [
      'the event as canonical event v1 (MSIE)',
      (r: AggregatedReceipt) => ({ ...r, event: encodeEvent(world.rootEvent) }),
      'EVENT_MALFORMED',
    ],
    [
      'a root receipt of another event',
      (r: AggregatedReceipt) => ({
        ...r,
        rootReceipt: { ...r.rootReceipt, event: encodeEvent({ ...world.rootEvent, actor: 'x' }) },
      }),
      'EVENT_PROOF_INVALID',
    ],
  ])('fails with %s', (_what, mutate, code) => {
    expect(
      failureCode(() => verifyAggregatedReceipt(jsonOf(mutate(world.receipt(3))), trustAll, crypto)),
    ).toBe(code);
  });

  it('fails when the root event is not a root event of format 1 (ROOT_EVENT_INVALID)', () => {
    const wrongKind = buildAggregateWorld(7, { rootOverrides: { kind: 'STATE' } });
    expect(failureCode(() => verifyAggregatedReceipt(jsonOf(wrongKind.receipt(0)), trustAll, crypto))).toBe(
      'ROOT_EVENT_INVALID',
    );
    const otherCount = buildAggregateWorld(7, {
      rootOverrides: {
        attributes: [
          { key: 'msi.aggregate.format', value: '1' },
          { key: 'msi.aggregate.leaves', value: '8' },
        ],
      },
    });
    expect(failureCode(() => verifyAggregatedReceipt(jsonOf(otherCount.receipt(0)), trustAll, crypto))).toBe(
      'LOCAL_PROOF_INVALID',
    );
  });

  it('refuses a local proof without the root receipt, and a root receipt of another version', () => {
    const value = JSON.parse(jsonOf(world.receipt(0)));
    const { rootReceipt: _, ...withoutRoot } = value;
    const error = (() => {
      try {
        verifyAggregatedReceipt(canonicalJson(withoutRoot), trustAll, crypto);
      } catch (e: unknown) {
        return e as ReceiptError;
      }
      return undefined;
    })();
    expect(error?.code).toBe('RECEIPT_MALFORMED');
    expect(error?.message).toContain('rootReceipt is missing');
    const v2root = canonicalJson({ ...value, rootReceipt: { ...value.rootReceipt, version: 2 } });
    expect(failureCode(() => verifyAggregatedReceipt(v2root, trustAll, crypto))).toBe('UNSUPPORTED_VERSION');
    expect(
      failureCode(() => verifyAggregatedReceipt(receiptToJson(world.rootReceipt), trustAll, crypto)),
    ).toBe('UNSUPPORTED_VERSION');
  });

  it('checks the root receipt signatures after every proof (UNTRUSTED_KEY, QUORUM_NOT_MET)', () => {
    const text = jsonOf(world.receipt(0));
    expect(failureCode(() => verifyAggregatedReceipt(text, { logKeys: [] }, crypto))).toBe('UNTRUSTED_KEY');
    expect(failureCode(() => verifyAggregatedReceipt(text, { ...trustAll, quorum: 3 }, crypto))).toBe(
      'QUORUM_NOT_MET',
    );
  });

  it('fails on any single-character change of the JSON text (strict, every key trusted)', () => {
    const text = jsonOf(world.receipt(5));
    const verifier = new ReceiptVerifier(strictTrust, crypto);
    expect(() => verifier.verify(text)).not.toThrow(); // the root receipt is now remembered
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.integer({ min: 0x20, max: 0x7e }), (at, code) => {
        const replacement = String.fromCharCode(code);
        fc.pre(text[at] !== replacement);
        const mutated = text.slice(0, at) + replacement + text.slice(at + 1);
        expect(() => verifyAggregatedReceipt(mutated, strictTrust, crypto)).toThrow(ReceiptError);
        expect(() => verifier.verify(mutated)).toThrow(ReceiptError);
      }),
      { numRuns: 400 },
    );
  });
});

describe('ReceiptVerifier', () => {
  /** An Ed25519 port that counts its verifications. */
  function counting(): { ed25519: Ed25519Verifier; count: () => number } {
    const inner = portableEd25519();
    let n = 0;
    return {
      ed25519: {
        ...inner,
        verify(signature, message, publicKey) {
          n++;
          return inner.verify(signature, message, publicKey);
        },
      },
      count: () => n,
    };
  }

  it('gives the results of verifyAggregatedReceipt, checking a checkpoint signature once', () => {
    const { ed25519, count } = counting();
    const verifier = new ReceiptVerifier(strictTrust, { hasher, ed25519 });
    for (let i = 0; i < 7; i++) {
      const text = jsonOf(world.receipt(i));
      expect(verifier.verify(text)).toEqual(verifyAggregatedReceipt(text, strictTrust, crypto));
    }
    expect(count()).toBe(3); // the log signature and two cosignatures, once
    const v1 = receiptToJson(world.rootReceipt);
    expect(verifier.verify(v1)).toMatchObject({ version: 1, round: { round: 1 } });
    expect(count()).toBe(3);
  });

  it('refuses versions other than 1 and 2, and fails like the functions do', () => {
    const verifier = new ReceiptVerifier(trustAll, crypto);
    expect(failureCode(() => verifier.verify('{"version":3}'))).toBe('UNSUPPORTED_VERSION');
    expect(failureCode(() => verifier.verify(new Uint8Array([0xff])))).toBe('RECEIPT_MALFORMED');
    const bad = jsonOf({ ...world.receipt(0), localProof: { ...world.receipt(0).localProof, leafIndex: 1 } });
    expect(failureCode(() => verifier.verify(bad))).toBe('LOCAL_PROOF_INVALID');
  });
});
