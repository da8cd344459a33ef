// The receipt vectors of @msi/core (packages/core/testdata/receipts, see its README.md) on node:crypto:
// OpenSSL's Ed25519 and SHA-256 must give every vector the verdict the portable path gives it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  parsePublication,
  parseVerifierKey,
  type ReceiptTrust,
  verifyReceipt,
  verifyReceiptAgainstPublication,
} from '@msi/core';
import { describe, expect, it } from 'vitest';
import { nodeEd25519 } from './node-ed25519.js';
import { nodeHasher } from './node-hasher.js';

const DIR = fileURLToPath(new URL('../../core/testdata/receipts/', import.meta.url));

interface Trust {
  logKeys: string[];
  witnessKeys: string[];
  quorum: number;
  strict: boolean;
}
const manifest = JSON.parse(readFileSync(`${DIR}vectors.json`, 'utf8')) as {
  receipts: { name: string; receipt: string; trust: Trust; want: string }[];
  againstPublication: { name: string; receipt: string; publication: string; want: string }[];
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

describe('receipt vectors on node:crypto', () => {
  it.each(manifest.receipts.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    expect(verdict(() => verifyReceipt(file(v.receipt), trustOf(v.trust), crypto))).toBe(v.want);
  });

  it.each(manifest.againstPublication.map((v) => [v.name, v] as const))('receipt against %s', (_name, v) => {
    const publication = parsePublication(new TextDecoder().decode(file(v.publication)));
    expect(verdict(() => verifyReceiptAgainstPublication(file(v.receipt), publication, crypto.hasher))).toBe(
      v.want,
    );
  });
});
