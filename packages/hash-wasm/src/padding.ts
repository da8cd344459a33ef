/** SHA-256 block size in bytes. */
export const BLOCK_SIZE = 64;

/**
 * Number of 64-byte blocks a SHA-256 message of `length` bytes occupies once padded (FIPS 180-4 §5.1.1:
 * the message, one 0x80 byte, zeros, and the 64-bit bit length).
 */
export function paddedBlocks(length: number): number {
  return Math.floor((length + 8) / BLOCK_SIZE) + 1;
}

/**
 * Writes the SHA-256 padding of a `length`-byte message that starts at `offset` in `memory` and
 * occupies `blocks` blocks (= paddedBlocks(length)) once padded. Precondition: the bytes from
 * offset + length to the end of the last block are zero (the caller zero-fills the region first).
 */
export function writePadding(memory: Uint8Array, offset: number, length: number, blocks: number): void {
  memory[offset + length] = 0x80;
  const end = offset + blocks * BLOCK_SIZE;
  const high = Math.floor(length / 0x20000000); // bits 32..63 of length * 8
  const low = (length * 8) >>> 0;
  memory[end - 8] = high >>> 24;
  memory[end - 7] = (high >>> 16) & 0xff;
  memory[end - 6] = (high >>> 8) & 0xff;
  memory[end - 5] = high & 0xff;
  memory[end - 4] = low >>> 24;
  memory[end - 3] = (low >>> 16) & 0xff;
  memory[end - 2] = (low >>> 8) & 0xff;
  memory[end - 1] = low & 0xff;
}
