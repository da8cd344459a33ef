import { HASH_SIZE, type MerkleHasher } from '@msi/merkle';
import { ByteReader, ByteWriter, EncodingError, readHeader, writeHeader } from '../encoding/index.js';
import { SealError } from './seal-error.js';
import { SEAL_HEADER, type SealRecord, validateSeal } from './seal-record.js';

/** Size of every seal record v1: 4 + 1 + 4 + 5 * 8 + 32 bytes. */
export const SEAL_RECORD_SIZE = 81;

/** The bytes of seal record v1 (docs/PROOFS.md §5). Validates first (throws SealError). */
export function encodeSeal(seal: SealRecord): Uint8Array {
  validateSeal(seal);
  const w = new ByteWriter(SEAL_RECORD_SIZE);
  writeHeader(w, SEAL_HEADER);
  w.u32(seal.shard).u64(seal.sealNumber).u64(seal.streamStart).u64(seal.streamEnd).u64(seal.leafCount);
  w.time(seal.maxReceivedAt).bytes(seal.root, HASH_SIZE);
  return w.finish();
}

/**
 * Decodes seal record v1 bytes. `bytes` is hostile input (from a receipt or the network); the
 * record is held to every rule of validateSeal. Throws SealError: SEAL_MALFORMED (with the field)
 * when the bytes do not parse, else the code of the broken rule.
 */
export function decodeSeal(bytes: Uint8Array): SealRecord {
  let seal: SealRecord;
  try {
    const r = new ByteReader(bytes);
    readHeader(r, SEAL_HEADER);
    seal = {
      shard: r.u32('shard'),
      sealNumber: r.u64('seal_number'),
      streamStart: r.u64('stream_start'),
      streamEnd: r.u64('stream_end'),
      leafCount: r.u64('leaf_count'),
      maxReceivedAt: r.time('max_received_at'),
      root: r.bytes('root', HASH_SIZE),
    };
    r.end();
  } catch (error) {
    if (error instanceof EncodingError) {
      throw new SealError('SEAL_MALFORMED', error.field, error.message, { cause: error });
    }
    throw error;
  }
  validateSeal(seal);
  return seal;
}

/**
 * The seal leaf hash `H(0x00 || seal record bytes)`: the seal's leaf in its round's tree.
 * Precondition: `sealBytes` came from encodeSeal or was accepted by decodeSeal.
 */
export function sealLeafHash(hasher: MerkleHasher, sealBytes: Uint8Array): Uint8Array {
  return hasher.hashLeaf(sealBytes);
}
