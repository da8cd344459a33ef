/**
 * A Buffer view of the same bytes (no copy): ts-proto types bytes fields as Buffer. A Buffer is
 * returned as it is; anything else gets one view (a copy per field was a share of the cost).
 */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
