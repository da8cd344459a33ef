import { bytesToHex } from '@noble/hashes/utils.js';
import type { Endpoint } from '../event/index.js';
import type { Imprint } from '../imprint/index.js';

/** A time of the event formats (µs since the epoch) as RFC 3339 UTC with microseconds. */
export function isoMicros(micros: number): string {
  const millis = Math.floor(micros / 1000);
  return `${new Date(millis).toISOString().slice(0, -1)}${String(micros - millis * 1000).padStart(3, '0')}Z`;
}

/**
 * An imprint as an in-toto DigestSet: the algorithm's name in the in-toto digest-set vocabulary
 * (`sha256`, `sha3_256`: the SHA-3 names with `_`), the digest in lower-case hex.
 */
export function digestSet(imprint: Imprint): Record<string, string> {
  return { [imprint.algorithm.replace('-', '_')]: bytesToHex(imprint.digest) };
}

/** An endpoint as `system/region/host` without its empty parts; '' for an empty endpoint. */
export function endpointText(endpoint: Endpoint): string {
  return [endpoint.system, endpoint.region, endpoint.host].filter((part) => part !== '').join('/');
}
