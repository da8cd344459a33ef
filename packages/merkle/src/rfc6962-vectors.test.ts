// The RFC 6962 / RFC 9162 proof vectors of transparency-dev/merkle (see testdata/rfc6962/README.md):
// one test per file, named by its path. `wantErr: true` cases must throw a ProofError, the others pass.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { portableHasher } from './hasher.js';
import { ProofError } from './proof-error.js';
import { verifyConsistency, verifyInclusion } from './verify.js';

const ROOT = fileURLToPath(new URL('../testdata/rfc6962/', import.meta.url));
const EXPECTED_FILES = 196;

interface InclusionCase {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

interface ConsistencyCase {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

const hasher = portableHasher();
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const proofOf = (proof: string[] | null): Uint8Array[] => (proof ?? []).map(b64);

function vectorFiles(kind: 'inclusion' | 'consistency'): string[] {
  return readdirSync(`${ROOT}${kind}`, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .map((f) => `${kind}/${f}`)
    .sort();
}

function expectOutcome(wantErr: boolean, run: () => void): void {
  if (!wantErr) {
    expect(run).not.toThrow();
    return;
  }
  let thrown: unknown;
  try {
    run();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ProofError);
}

const ran = new Set<string>();

describe('RFC 6962 inclusion vectors', () => {
  for (const file of vectorFiles('inclusion')) {
    it(file, () => {
      const c = JSON.parse(readFileSync(`${ROOT}${file}`, 'utf8')) as InclusionCase;
      expectOutcome(c.wantErr, () =>
        verifyInclusion(hasher, c.leafIdx, c.treeSize, b64(c.leafHash), proofOf(c.proof), b64(c.root)),
      );
      ran.add(file);
    });
  }
});

describe('RFC 6962 consistency vectors', () => {
  for (const file of vectorFiles('consistency')) {
    it(file, () => {
      const c = JSON.parse(readFileSync(`${ROOT}${file}`, 'utf8')) as ConsistencyCase;
      expectOutcome(c.wantErr, () =>
        verifyConsistency(hasher, c.size1, c.size2, proofOf(c.proof), b64(c.root1), b64(c.root2)),
      );
      ran.add(file);
    });
  }
});

it(`finds all ${EXPECTED_FILES} vector files`, () => {
  expect(vectorFiles('inclusion').length + vectorFiles('consistency').length).toBe(EXPECTED_FILES);
});

afterAll(() => {
  // After every test of this file: each of the vector files ran to its end (and passed).
  expect(ran.size).toBe(EXPECTED_FILES);
});
