import { imprintOf, isUuidV7, mintUuidV7, UUID_SIZE, uuidV7Time } from '@msi/core';

const ID_DOMAIN = 'msi.openlineage.event-id.v1';

/**
 * The id of the `part`-th MSI event made from a RunEvent (docs/OPENLINEAGE.md, "Event ids"): a
 * UUIDv7 whose 48-bit time is the runId's own when the runId is a UUIDv7, else eventTime's
 * millisecond, and whose other bits are the first 16 bytes of
 * SHA-256(UTF-8 "msi.openlineage.event-id.v1" 0x00 runId 0x00 eventType 0x00 part), version and
 * variant bits set. The same RunEvent sent again gets the same ids: ingest answers it as a duplicate.
 */
export function lineageEventId(
  run: { readonly runId: string; readonly runIdBytes: Uint8Array; readonly eventTimeUs: number },
  eventType: string,
  part: number,
): Uint8Array {
  const timeMs = isUuidV7(run.runIdBytes) ? uuidV7Time(run.runIdBytes) : Math.floor(run.eventTimeUs / 1000);
  const seed = new TextEncoder().encode(`${ID_DOMAIN}\u0000${run.runId}\u0000${eventType}\u0000${part}`);
  return mintUuidV7(timeMs, imprintOf('sha256', seed).digest.subarray(0, UUID_SIZE));
}
