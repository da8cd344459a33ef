/** Bytes drawn from the random source at once (the Web Crypto limit of one getRandomValues call). */
const POOL_BYTES = 65_536;

/**
 * Cryptographically random bytes handed out in small pieces (event ids, nonces) from a pool refilled
 * 64 KiB at a time: one call into the random source per thousands of events. Each byte is handed out
 * once. `fill` is the source (crypto.getRandomValues by default; injected in tests).
 */
export class EntropyPool {
  readonly #fill: (bytes: Uint8Array) => void;
  readonly #pool = new Uint8Array(POOL_BYTES);
  #at = POOL_BYTES;

  constructor(fill: (bytes: Uint8Array) => void = (bytes) => globalThis.crypto.getRandomValues(bytes)) {
    this.#fill = fill;
  }

  /** The pool, and the offset of `n` (≤ 64 KiB) fresh bytes in it, valid until the next take. */
  take(n: number): { readonly bytes: Uint8Array; readonly at: number } {
    if (this.#at + n > POOL_BYTES) {
      this.#fill(this.#pool);
      this.#at = 0;
    }
    const at = this.#at;
    this.#at += n;
    return { bytes: this.#pool, at };
  }

  /** A copy of `n` fresh bytes. */
  bytes(n: number): Uint8Array {
    const { bytes, at } = this.take(n);
    return bytes.slice(at, at + n);
  }
}
