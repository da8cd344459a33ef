import { ImprintError } from './imprint-error.js';

/** One entry of the KSI hash-algorithm registry. */
export interface HashAlgorithmInfo {
  /** The registry id: the first byte of an imprint. */
  readonly id: number;
  /** The text name used in the imprint text form `<name>:<hex>`. */
  readonly name: string;
  readonly digestSize: number;
  /** False for registered algorithms MSI no longer accepts (DEPRECATED_ALGORITHM). */
  readonly accepted: boolean;
}

/** The KSI hash-algorithm registry, docs/PROOFS.md §3. Ids not listed are UNKNOWN_ALGORITHM. */
export const HASH_ALGORITHMS = [
  { id: 0x00, name: 'sha1', digestSize: 20, accepted: false },
  { id: 0x01, name: 'sha256', digestSize: 32, accepted: true },
  { id: 0x02, name: 'ripemd160', digestSize: 20, accepted: false },
  { id: 0x03, name: 'sha224', digestSize: 28, accepted: true },
  { id: 0x04, name: 'sha384', digestSize: 48, accepted: true },
  { id: 0x05, name: 'sha512', digestSize: 64, accepted: true },
  { id: 0x07, name: 'sha3-224', digestSize: 28, accepted: true },
  { id: 0x08, name: 'sha3-256', digestSize: 32, accepted: true },
  { id: 0x09, name: 'sha3-384', digestSize: 48, accepted: true },
  { id: 0x0a, name: 'sha3-512', digestSize: 64, accepted: true },
] as const satisfies readonly HashAlgorithmInfo[];

type RegistryEntry = (typeof HASH_ALGORITHMS)[number];

/** The text name of an algorithm MSI accepts in imprints. */
export type HashAlgorithm = Extract<RegistryEntry, { accepted: true }>['name'];

/** An accepted algorithm's registry entry. */
export interface AcceptedAlgorithm extends HashAlgorithmInfo {
  readonly name: HashAlgorithm;
  readonly accepted: true;
}

/** `what` names the algorithm in an error message; it is only computed for one (hot path). */
function accepted(entry: RegistryEntry | undefined, what: () => string): AcceptedAlgorithm {
  if (entry === undefined) {
    throw new ImprintError('UNKNOWN_ALGORITHM', `${what()} is not in the hash-algorithm registry`);
  }
  if (!entry.accepted) {
    throw new ImprintError('DEPRECATED_ALGORITHM', `${entry.name} is deprecated and not accepted`);
  }
  return entry;
}

/** The accepted algorithm with registry id `id`. Throws ImprintError UNKNOWN_ALGORITHM or DEPRECATED_ALGORITHM. */
export function algorithmById(id: number): AcceptedAlgorithm {
  return accepted(
    HASH_ALGORITHMS.find((entry) => entry.id === id),
    () => `algorithm id 0x${id.toString(16).padStart(2, '0')}`,
  );
}

/**
 * The accepted algorithm with text name `name` (exact, lower case). Throws ImprintError
 * UNKNOWN_ALGORITHM or DEPRECATED_ALGORITHM. `name` may be hostile; it is only compared, never echoed
 * in full.
 */
export function algorithmByName(name: string): AcceptedAlgorithm {
  return accepted(
    HASH_ALGORITHMS.find((entry) => entry.name === name),
    () => `algorithm name ${JSON.stringify(name.slice(0, 16))}`,
  );
}
