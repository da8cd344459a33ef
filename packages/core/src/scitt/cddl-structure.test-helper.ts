// TEST-ONLY: a structural checker written from schemas/msi-cose-receipt-v1.cddl, on top of an
// independent CBOR decoder (cbor2, in its core deterministic encoding mode), so that what MSI writes
// is checked by code that shares nothing with packages/core/src/scitt. Returns the problems found.
import { decode, Tag } from 'cbor2';

type Value = unknown;
const OPTIONS = { cde: true, preferMap: true, rejectDuplicateKeys: true } as const;

export function cddlProblems(bytes: Uint8Array, rule: 'msi-cose-receipt' | 'msi-cose-tree-head'): string[] {
  const problems: string[] = [];
  const at = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  let value: Value;
  try {
    value = decode(bytes, OPTIONS);
  } catch (error: unknown) {
    return [`not deterministic CBOR: ${String(error)}`];
  }
  at(value instanceof Tag && Number(value.tag) === 18, '#6.18');
  const sign1 = value instanceof Tag ? value.contents : undefined;
  if (!Array.isArray(sign1) || sign1.length !== 4) return [...problems, 'COSE_Sign1 = [4 items]'];
  const [protectedBytes, unprotected, payload, signature] = sign1 as Value[];
  at(isBytes(protectedBytes), 'protected: bstr');
  at(payload === null, 'payload: nil');
  at(isBytes(signature, 64), 'signature: bstr .size 64');
  if (isBytes(protectedBytes)) protectedHeader(decode(protectedBytes, OPTIONS), at);
  if (rule === 'msi-cose-tree-head') {
    at(unprotected instanceof Map && unprotected.size === 0, 'unprotected: {}');
  } else {
    unprotectedHeader(unprotected, at);
  }
  return problems;
}

function protectedHeader(header: Value, at: (ok: boolean, what: string) => void): void {
  if (!(header instanceof Map)) {
    at(false, 'protected header: map');
    return;
  }
  at(sameKeys(header, [1, 4, 15, 395, -65538]), 'protected header: exactly 1, 4, 15, 395, -65538');
  at(header.get(1) === -8, '1 => -8');
  at(isBytes(header.get(4), 4), '4 => bstr .size 4');
  const claims = header.get(15);
  at(
    claims instanceof Map && sameKeys(claims, [1]) && typeof claims.get(1) === 'string',
    '15 => { 1 => tstr }',
  );
  at(header.get(395) === 1, '395 => 1');
  at(isUint(header.get(-65538)), '-65538 => uint');
}

function unprotectedHeader(header: Value, at: (ok: boolean, what: string) => void): void {
  if (!(header instanceof Map)) {
    at(false, 'unprotected header: map');
    return;
  }
  at(sameKeys(header, [396, -65537]), 'unprotected header: exactly 396, -65537');
  const vdp = header.get(396);
  const proofs = vdp instanceof Map && sameKeys(vdp, [-1]) ? vdp.get(-1) : undefined;
  at(Array.isArray(proofs) && proofs.length === 1, '396 => { -1 => [ inclusion-proof ] }');
  const inclusion = Array.isArray(proofs) ? proofs[0] : undefined;
  at(isBytes(inclusion), 'inclusion-proof = bstr .cbor […]');
  if (isBytes(inclusion))
    at(isProof(decode(inclusion, OPTIONS), 1), 'inclusion-proof: [uint, uint, [+ hash]]');
  const levels = header.get(-65537);
  at(Array.isArray(levels) && levels.length === 6, 'msi-levels: [6 items]');
  if (!Array.isArray(levels)) return;
  at(levels[0] === 1, 'version: 1');
  at(isBytes(levels[1]), 'event: bstr');
  at(isProof(levels[2], 0), 'event-proof: msi-proof');
  at(isBytes(levels[3], 81), 'seal: bstr .size 81');
  at(isProof(levels[4], 0), 'seal-proof: msi-proof');
  at(isBytes(levels[5], 77), 'round: bstr .size 77');
}

function isProof(value: Value, minHashes: number): boolean {
  if (!Array.isArray(value) || value.length !== 3) return false;
  const [size, index, path] = value as Value[];
  return (
    isUint(size) &&
    isUint(index) &&
    Array.isArray(path) &&
    path.length >= minHashes &&
    path.every((hash) => isBytes(hash, 32))
  );
}

function isBytes(value: Value, size?: number): value is Uint8Array {
  return value instanceof Uint8Array && (size === undefined || value.length === size);
}

function isUint(value: Value): boolean {
  return (
    (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) || typeof value === 'bigint'
  );
}

function sameKeys(map: Map<unknown, unknown>, keys: readonly number[]): boolean {
  return map.size === keys.length && keys.every((key) => map.has(key));
}
