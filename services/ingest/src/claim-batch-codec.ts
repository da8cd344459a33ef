import type { ClaimBatch } from './claim-log.js';

/**
 * streamV1.ClaimBatch v1 in protobuf wire format, written and read by hand because both run per
 * claimed event (every replica reads every claim): ts-proto's int64 fields go through bigint.
 * claim-batch-codec.test.ts checks the bytes against streamV1.ClaimBatch.encode and decode.
 */

/** A claim as the index needs it: whose id it is, and the void claim it replaces (0: none). */
export interface ClaimKeyFields {
  readonly tenant: string;
  readonly eventId: Uint8Array;
  readonly supersedes: number;
}

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

/** The claims of an encoded ClaimBatch (any ingest's): checks the version and every claim's id. */
export function decodeClaimKeys(data: Uint8Array): ClaimKeyFields[] {
  const reader = new WireReader(data, 0, data.length);
  const claims: ClaimKeyFields[] = [];
  const tenants = new TenantNames();
  let version = 0;
  while (reader.more()) {
    const tag = reader.varint();
    if (tag === 0x08) version = reader.varint();
    else if (tag === 0x2a) claims.push(readClaim(reader.sub(), tenants));
    else reader.skip(tag);
  }
  if (version !== 1) throw new ClaimBatchError(`ClaimBatch version ${version}, want 1`);
  return claims;
}

/**
 * Tenant names decoded from UTF-8, the last one kept: a batch's claims are mostly one tenant's, so
 * a claim's tenant is usually compared, not decoded.
 */
class TenantNames {
  #bytes: Uint8Array = new Uint8Array(0);
  #name = '';

  of(bytes: Uint8Array): string {
    if (!Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).equals(this.#bytes)) {
      this.#bytes = bytes;
      this.#name = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    }
    return this.#name;
  }
}

function readClaim(reader: WireReader, tenants: TenantNames): ClaimKeyFields {
  let tenant = '';
  let eventId: Uint8Array = new Uint8Array(0);
  let supersedes = 0;
  while (reader.more()) {
    const tag = reader.varint();
    if (tag === 0x0a) tenant = tenants.of(reader.bytes());
    else if (tag === 0x12) eventId = reader.bytes();
    else if (tag === 0x20) supersedes = reader.varint();
    else reader.skip(tag);
  }
  if (eventId.length !== 16) throw new ClaimBatchError(`claim with an event id of ${eventId.length} bytes`);
  return { tenant, eventId, supersedes };
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

  sub(): WireReader {
    const length = this.varint();
    if (this.at + length > this.end) throw new ClaimBatchError('truncated field');
    const reader = new WireReader(this.data, this.at, this.at + length);
    this.at += length;
    return reader;
  }

  bytes(): Uint8Array {
    const sub = this.sub();
    return this.data.subarray(sub.at, sub.end);
  }

  skip(tag: number): void {
    const wireType = tag & 7;
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.sub();
    else if (wireType === 1) this.at += 8;
    else if (wireType === 5) this.at += 4;
    else throw new ClaimBatchError(`wire type ${wireType}`);
    if (this.at > this.end) throw new ClaimBatchError('truncated field');
  }
}
