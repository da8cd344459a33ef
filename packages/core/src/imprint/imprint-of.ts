import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { sha3_224, sha3_256, sha3_384, sha3_512 } from '@noble/hashes/sha3.js';
import type { HashAlgorithm } from './hash-algorithms.js';
import type { Imprint } from './imprint.js';

type HashFunction = (data: Uint8Array) => Uint8Array;

function hashFunction(algorithm: HashAlgorithm): HashFunction {
  switch (algorithm) {
    case 'sha256':
      return sha256;
    case 'sha224':
      return sha224;
    case 'sha384':
      return sha384;
    case 'sha512':
      return sha512;
    case 'sha3-224':
      return sha3_224;
    case 'sha3-256':
      return sha3_256;
    case 'sha3-384':
      return sha3_384;
    case 'sha3-512':
      return sha3_512;
    default: {
      const _: never = algorithm;
      throw new Error(`no hash function for ${String(_)}`);
    }
  }
}

/** The imprint of `data` under `algorithm`, computed locally (the data never leaves the caller). */
export function imprintOf(algorithm: HashAlgorithm, data: Uint8Array): Imprint {
  return { algorithm, digest: hashFunction(algorithm)(data) };
}
