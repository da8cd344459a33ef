// The receipt and publication vectors of testdata/receipts (see its README.md): every receipt is
// verified with the trust its vector names and must end with the vector's verdict (the portable
// Ed25519 and SHA-256; packages/crypto-node runs the same vectors on node:crypto).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { portableHasher } from '@msi/merkle';
import { describe, expect, it } from 'vitest';
import { parseVerifierKey, portableEd25519 } from '../note/index.js';
import { parsePublication, verifyReceiptAgainstPublication } from '../publication/index.js';
import { type ReceiptTrust, verifyReceipt } from './verify-receipt.js';

const DIR = fileURLToPath(new URL('../../testdata/receipts/', import.meta.url));

interface Trust {
  logKeys: string[];
  witnessKeys: string[];
  quorum: number;
  strict: boolean;
}
interface ReceiptVector {
  name: string;
  receipt: string;
  trust: Trust;
  want: string;
  expect?: Record<string, unknown>;
}
interface PublicationVector {
  name: string;
  file: string;
  want: string;
  expect?: { time: number; origin: string; size: number };
}
interface AgainstVector {
  name: string;
  receipt: string;
  publication: string;
  want: string;
  expect?: Record<string, unknown>;
}
const manifest = JSON.parse(readFileSync(`${DIR}vectors.json`, 'utf8')) as {
  receipts: ReceiptVector[];
  publications: PublicationVector[];
  againstPublication: AgainstVector[];
};
const file = (path: string): Uint8Array => new Uint8Array(readFileSync(`${DIR}${path}`));
const utf8 = new TextDecoder('utf-8', { fatal: true });
const crypto = { hasher: portableHasher(), ed25519: portableEd25519() };

function trustOf(trust: Trust): ReceiptTrust {
  return {
    logKeys: trust.logKeys.map(parseVerifierKey),
    witnessKeys: trust.witnessKeys.map(parseVerifierKey),
    quorum: trust.quorum,
    strict: trust.strict,
  };
}

/** "VALID" and what `run` returned, or the code it threw. */
function outcome<T>(run: () => T): { verdict: string; result?: T } {
  try {
    return { verdict: 'VALID', result: run() };
  } catch (error: unknown) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
      return { verdict: error.code };
    }
    throw error;
  }
}

describe('receipt vectors (portable Ed25519)', () => {
  it.each(manifest.receipts.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const { verdict, result } = outcome(() => verifyReceipt(file(v.receipt), trustOf(v.trust), crypto));
    expect(verdict).toBe(v.want);
    if (v.expect === undefined || result === undefined) return;
    expect({
      round: result.round.round,
      closedAt: result.round.closedAt,
      checkpointSize: result.checkpoint.size,
      origin: result.checkpoint.origin,
      logKeys: result.logKeys,
      witnesses: result.witnesses.map(({ name, time }) => ({ name, time })),
      unverified: result.unverifiedSignatures.map((line) => line.name),
      ...(result.extendedTo === undefined ? {} : { extendedTo: result.extendedTo.size }),
    }).toEqual(v.expect);
  });

  it('has a VALID vector, and one of every failure code of receipt verification', () => {
    expect(new Set(manifest.receipts.map((v) => v.want))).toEqual(
      new Set([
        'VALID',
        'RECEIPT_MALFORMED',
        'RECEIPT_NOT_CANONICAL',
        'UNSUPPORTED_VERSION',
        'EVENT_MALFORMED',
        'SEAL_MALFORMED',
        'EVENT_PROOF_INVALID',
        'ROUND_MALFORMED',
        'SEAL_PROOF_INVALID',
        'CHECKPOINT_MALFORMED',
        'ROUND_PROOF_INVALID',
        'UNTRUSTED_KEY',
        'SIGNATURE_INVALID',
        'EXTENSION_INVALID',
        'CONSISTENCY_PROOF_INVALID',
        'UNKNOWN_SIGNATURE',
        'COSIGNATURE_INVALID',
        'QUORUM_NOT_MET',
      ]),
    );
  });

  it('names every receipt file in the manifest', () => {
    const listed = new Set([
      ...manifest.receipts.map((v) => v.receipt),
      ...manifest.againstPublication.map((v) => v.receipt),
    ]);
    const onDisk = ['valid', 'invalid'].flatMap((dir) =>
      readdirSync(`${DIR}${dir}`).map((name) => `${dir}/${name}`),
    );
    expect(new Set(onDisk)).toEqual(listed);
  });
});

describe('publication vectors', () => {
  it.each(manifest.publications.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const { verdict, result } = outcome(() => parsePublication(utf8.decode(file(v.file))));
    expect(verdict).toBe(v.want);
    if (v.expect === undefined || result === undefined) return;
    expect({ time: result.time, origin: result.checkpoint.origin, size: result.checkpoint.size }).toEqual(
      v.expect,
    );
  });

  it.each(manifest.againstPublication.map((v) => [v.name, v] as const))('receipt against %s', (_name, v) => {
    const publication = parsePublication(utf8.decode(file(v.publication)));
    const { verdict, result } = outcome(() =>
      verifyReceiptAgainstPublication(file(v.receipt), publication, crypto.hasher),
    );
    expect(verdict).toBe(v.want);
    if (v.expect === undefined || result === undefined) return;
    expect({
      round: result.round.round,
      closedAt: result.round.closedAt,
      publishedAt: result.publishedAt,
      matchedBy: result.matchedBy,
    }).toEqual(v.expect);
  });
});
