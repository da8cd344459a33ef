// The receipt v2 vectors of @msi/core (packages/core/testdata/aggregated-receipts, see its README.md)
// on node:crypto: OpenSSL's Ed25519 and SHA-256 must give every vector the verdict the portable path
// gives it, with and without a ReceiptVerifier's caches.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseVerifierKey, type ReceiptTrust, ReceiptVerifier, verifyAggregatedReceipt } from '@msi/core';
import { describe, expect, it } from 'vitest';
import { nodeEd25519 } from './node-ed25519.js';
import { nodeHasher } from './node-hasher.js';

const DIR = fileURLToPath(new URL('../../core/testdata/aggregated-receipts/', import.meta.url));

interface Trust {
  logKeys: string[];
  witnessKeys: string[];
  quorum: number;
  strict: boolean;
}
const manifest = JSON.parse(readFileSync(`${DIR}vectors.json`, 'utf8')) as {
  receipts: { name: string; receipt: string; trust: Trust; want: string }[];
};
const file = (path: string): Uint8Array => new Uint8Array(readFileSync(`${DIR}${path}`));
const crypto = { hasher: nodeHasher(), ed25519: nodeEd25519() };

const trustOf = (trust: Trust): ReceiptTrust => ({
  logKeys: trust.logKeys.map(parseVerifierKey),
  witnessKeys: trust.witnessKeys.map(parseVerifierKey),
  quorum: trust.quorum,
  strict: trust.strict,
});

function verdict(run: () => unknown): string {
  try {
    run();
    return 'VALID';
  } catch (error: unknown) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
    throw error;
  }
}

describe('receipt v2 vectors on node:crypto', () => {
  it.each(manifest.receipts.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    expect(verdict(() => verifyAggregatedReceipt(file(v.receipt), trustOf(v.trust), crypto))).toBe(v.want);
    expect(verdict(() => new ReceiptVerifier(trustOf(v.trust), crypto).verify(file(v.receipt)))).toBe(v.want);
  });
});
