// TEST-ONLY: a naive transcription of RFC 9162 §2.1, used to cross-check the fast code and never
// exported from index.ts. It uses @noble/hashes directly (not a MerkleHasher), recursion and BigInt,
// and favours being obviously the RFC over being fast.
import { sha256 } from '@noble/hashes/sha2.js';

const hash = (...parts: Uint8Array[]): Uint8Array => {
  const input = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    input.set(part, offset);
    offset += part.length;
  }
  return sha256(input);
};

/** SHA-256(0x00 || d). */
export const refLeafHash = (d: Uint8Array): Uint8Array => hash(Uint8Array.of(0), d);
/** SHA-256(0x01 || l || r). */
export const refNodeHash = (l: Uint8Array, r: Uint8Array): Uint8Array => hash(Uint8Array.of(1), l, r);

/** The largest power of two smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over raw leaf data, RFC 9162 §2.1.1. */
export function refRoot(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha256(new Uint8Array(0));
  if (d.length === 1) return refLeafHash(d[0] as Uint8Array);
  const k = split(d.length);
  return refNodeHash(refRoot(d.slice(0, k)), refRoot(d.slice(k)));
}

/** PATH(m, D[n]), RFC 9162 §2.1.3.1. */
export function refPath(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const k = split(d.length);
  if (m < k) return [...refPath(m, d.slice(0, k)), refRoot(d.slice(k))];
  return [...refPath(m - k, d.slice(k)), refRoot(d.slice(0, k))];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true), RFC 9162 §2.1.4.1. */
export function refProof(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  return subproof(m, d, true);
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [refRoot(d)];
  const k = split(d.length);
  if (m <= k) return [...subproof(m, d.slice(0, k), b), refRoot(d.slice(k))];
  return [...subproof(m - k, d.slice(k), false), refRoot(d.slice(0, k))];
}

const equal = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The inclusion check of RFC 9162 §2.1.3.2, step by step, with BigInt counters: true if the proof is
 * valid. Returns false (never throws) for every bad input.
 */
export function rfcVerifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (index < 0 || index >= size) return false;
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = refNodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = refNodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equal(r, root);
}

/**
 * The consistency check of RFC 9162 §2.1.4.2, step by step, with BigInt counters. The RFC defines it
 * for 0 < size1 < size2; equal sizes are consistent iff the proof is empty and the roots are equal.
 */
export function rfcVerifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (size1 < 1 || size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
  if (proof.length === 0) return false;
  const path = isPow2(size1) ? [root1, ...proof] : [...proof];
  let fn = BigInt(size1) - 1n;
  let sn = BigInt(size2) - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = refNodeHash(c, fr);
      sr = refNodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = refNodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return equal(fr, root1) && equal(sr, root2) && sn === 0n;
}

function isPow2(n: number): boolean {
  let x = BigInt(n);
  while (x > 1n && (x & 1n) === 0n) x >>= 1n;
  return x === 1n;
}

/** Leaf data "leaf-<i>" for i in [0, n): distinct leaves for tests. */
export function testLeaves(n: number, prefix = 'leaf'): Uint8Array[] {
  const encoder = new TextEncoder();
  return Array.from({ length: n }, (_, i) => encoder.encode(`${prefix}-${i}`));
}
