import { decodeEvent, encodeEvent } from '@msi/core';

/**
 * True when two canonical events (v1) are the same event as submitted: equal in every field except
 * the two ingest stamps that differ between submissions, `received_at` and `nonce`. (The tenant and
 * the submitter are compared: another principal sending the same id is another event.) For
 * resubmissions only: decodes both and encodes `resubmitted` again with the original's stamps.
 */
export function sameEventContent(original: Uint8Array, resubmitted: Uint8Array): boolean {
  const first = decodeEvent(original);
  const again = decodeEvent(resubmitted);
  const restamped = encodeEvent({ ...again, receivedAt: first.receivedAt, nonce: first.nonce });
  return Buffer.from(restamped).equals(
    Buffer.from(original.buffer, original.byteOffset, original.byteLength),
  );
}
