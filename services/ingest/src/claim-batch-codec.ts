import { isUuidV7At } from '@msi/core';
import type { ClaimBatch } from './claim-log.js';

/**
 * streamV1.ClaimBatch v1 in protobuf wire format, written and read by hand because both run per
 * claimed event (every replica reads every claim): ts-proto's int64 fields go through bigint.
 * claim-batch-codec.test.ts checks the bytes against streamV1.ClaimBatch.encode and decode.
 */

export class ClaimBatchError extends Error {
  override readonly name = 'ClaimBatchError';
}

/** Encodes a ClaimBatch (version 1). Preconditions: numbers are non-negative safe integers. */
export function encodeClaimBatch(batch: ClaimBatch): Uint8Array {
  const batchId = Buffer.from(batch.batchId, 'utf8');
  const tenants = batch.claims.map((claim) => Buffer.from(claim.tenant, 'utf8'));
  let size = 40 + batchId.length;
  for (const [i, claim] of batch.claims.entries())
    size += 40 + (tenants[i]?.length ?? 0) + claim.eventId.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const varint = (value: number) => {
    let v = value;
    while (v >= 0x80) {
      out[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    out[at++] = v;
  };
  const bytes = (tag: number, value: Uint8Array) => {
    if (value.length === 0) return;
    out[at++] = tag;
    varint(value.length);
    out.set(value, at);
    at += value.length;
  };
  const number = (tag: number, value: number) => {
    if (value === 0) return;
    out[at++] = tag;
    varint(value);
  };
  number(0x08, 1);
  bytes(0x12, batchId);
  number(0x18, batch.shard);
  number(0x20, batch.claimUntilMs);
  batch.claims.forEach((claim, i) => {
    out[at++] = 0x2a;
    const lengthAt = at;
    at += 1; // one length byte: a claim is < 128 bytes (tenant ≤ 64 bytes), checked below
    bytes(0x0a, tenants[i] ?? new Uint8Array(0));
    bytes(0x12, claim.eventId);
    number(0x18, claim.expectedRound);
    number(0x20, claim.supersedes);
    const length = at - lengthAt - 1;
    if (length >= 0x80) throw new ClaimBatchError(`claim of ${length} bytes: the tenant is too long`);
    out[lengthAt] = length;
  });
  return out.subarray(0, at);
}

/**
 * Reads the claims of encoded ClaimBatches (any ingest's) into arrays it reuses: every replica reads
 * every claim, so no object is made per claim (claim-log.ts hands the reader to ClaimIndex.applyKeys).
 * `read` checks the version and every claim's event id (16 bytes, a UUIDv7) before it returns, so a
 * message is applied whole or not at all. What it read holds until the next `read`.
 */
export class ClaimKeyReader {
  #bytes: Uint8Array = new Uint8Array(0);
  #count = 0;
  #tenants: string[] = [];
  #idAt = new Int32Array(1024);
  #supersedes = new Float64Array(1024);
  /** The last tenant decoded, by its bytes: a batch's claims are mostly one tenant's. */
  #tenantBytes: Uint8Array = new Uint8Array(0);
  #tenantName = '';

  /** Reads an encoded ClaimBatch. Throws ClaimBatchError (then `count` is 0). */
  read(data: Uint8Array): void {
    this.#bytes = data;
    this.#count = 0;
    const reader = new WireReader(data, 0, data.length);
    let version = 0;
    try {
      while (reader.more()) {
        const tag = reader.varint();
        if (tag === 0x08) version = reader.varint();
        else if (tag === 0x2a) this.#readClaim(reader);
        else reader.skip(tag);
      }
      if (version !== 1) throw new ClaimBatchError(`ClaimBatch version ${version}, want 1`);
    } catch (error: unknown) {
      this.#count = 0;
      throw error;
    }
  }

  /** Claims read. */
  get count(): number {
    return this.#count;
  }

  /** The message read: claim `i`'s event id is its 16 bytes from `idAt(i)`. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  tenant(i: number): string {
    return this.#tenants[i] ?? '';
  }

  idAt(i: number): number {
    return this.#idAt[i] ?? 0;
  }

  /** 0, or the position of the void claim that claim `i` replaces. */
  supersedes(i: number): number {
    return this.#supersedes[i] ?? 0;
  }

  #readClaim(outer: WireReader): void {
    const end = outer.subEnd();
    const data = outer.data;
    let tenant = '';
    let idAt = -1;
    let idLength = 0;
    let supersedes = 0;
    while (outer.at < end) {
      const tag = outer.varint();
      if (tag === 0x0a) {
        const length = outer.length(end);
        tenant = this.#tenantOf(data, outer.at, length);
        outer.at += length;
      } else if (tag === 0x12) {
        idLength = outer.length(end);
        idAt = outer.at;
        outer.at += idLength;
      } else if (tag === 0x20) supersedes = outer.varint();
      else outer.skip(tag);
      if (outer.at > end) throw new ClaimBatchError('truncated field');
    }
    if (idLength !== 16) throw new ClaimBatchError(`claim with an event id of ${idLength} bytes`);
    if (!isUuidV7At(data, idAt)) throw new ClaimBatchError('claim with an event id that is not a UUIDv7');
    const i = this.#count;
    if (i === this.#idAt.length) this.#grow();
    this.#tenants[i] = tenant;
    this.#idAt[i] = idAt;
    this.#supersedes[i] = supersedes;
    this.#count = i + 1;
  }

  #tenantOf(data: Uint8Array, at: number, length: number): string {
    const last = this.#tenantBytes;
    let same = last.length === length;
    for (let k = 0; same && k < length; k++) same = last[k] === data[at + k];
    if (!same) {
      this.#tenantBytes = data.slice(at, at + length);
      this.#tenantName = Buffer.from(data.buffer, data.byteOffset + at, length).toString('utf8');
    }
    return this.#tenantName;
  }

  #grow(): void {
    const idAt = new Int32Array(this.#idAt.length * 2);
    idAt.set(this.#idAt);
    this.#idAt = idAt;
    const supersedes = new Float64Array(this.#supersedes.length * 2);
    supersedes.set(this.#supersedes);
    this.#supersedes = supersedes;
  }
}

class WireReader {
  constructor(
    readonly data: Uint8Array,
    public at: number,
    readonly end: number,
  ) {}

  more(): boolean {
    return this.at < this.end;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.at >= this.end) throw new ClaimBatchError('truncated varint');
      const byte = this.data[this.at++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new ClaimBatchError('varint too long');
    }
    if (!Number.isSafeInteger(value)) throw new ClaimBatchError('varint beyond 2^53');
    return value;
  }

  /** A length prefix whose field ends by `end`. */
  length(end = this.end): number {
    const length = this.varint();
    if (this.at + length > end) throw new ClaimBatchError('truncated field');
    return length;
  }

  /** Reads a length prefix; returns where that field ends (the reader is then at its start). */
  subEnd(): number {
    const length = this.length(); // before this.at is read
    return this.at + length;
  }

  skip(tag: number): void {
    const wireType = tag & 7;
    if (wireType === 0) this.varint();
    else if (wireType === 2) {
      const length = this.length(); // before `this.at +=` reads this.at
      this.at += length;
    } else if (wireType === 1) this.at += 8;
    else if (wireType === 5) this.at += 4;
    else throw new ClaimBatchError(`wire type ${wireType}`);
    if (this.at > this.end) throw new ClaimBatchError('truncated field');
  }
}
