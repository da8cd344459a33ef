import { ClaimTable } from './claim-table.js';

/**
 * Claims per ClaimBatch at most (a claim's position packs its index below this), and so events per
 * EventBatch at most (MSI_INGEST_BATCH_MAX_EVENTS ≤ 100,000 < 2^17).
 */
export const MAX_CLAIMS_PER_BATCH = 2 ** 17;

/** Where a claim is: claims-stream sequence × 2^17 + its index in that ClaimBatch (< 2^53). */
export type ClaimPosition = number;

export function claimPosition(seq: number, index: number): ClaimPosition {
  return seq * MAX_CLAIMS_PER_BATCH + index;
}

export function claimSeqOf(position: ClaimPosition): number {
  return Math.floor(position / MAX_CLAIMS_PER_BATCH);
}

export function claimIndexOf(position: ClaimPosition): number {
  return position % MAX_CLAIMS_PER_BATCH;
}

/** One claim as the index sees it. */
export interface IndexedClaim {
  readonly tenant: string;
  /** The 16 bytes of the event id. */
  readonly eventId: Uint8Array;
  /** The time in the event id (UUIDv7), ms since the epoch. */
  readonly idTimeMs: number;
  /** 0, or the position of the void claim this one replaces. */
  readonly supersedes: ClaimPosition;
}

export interface ClaimIndexOptions {
  /** The dedup window: ids whose time is older than now − window are refused, and forgotten. */
  readonly windowMs: number;
  /** Ids whose time is later than now + skew are refused. */
  readonly skewMs: number;
}

/** Slices per window: an expired slice is dropped whole, so memory lags expiry by 1/32 window. */
const SLICES_PER_WINDOW = 32;

/**
 * The winning claim of every (tenant, event id) whose id time lies in the window, built by applying
 * the claims stream in order: the first claim of a key wins; a claim that names a void winner in
 * `supersedes` replaces it if that is still the winner. Pure (time is passed in): every replica that
 * applies the same stream holds the same winners.
 *
 * Keys are grouped in slices by the time in the event id, so a lookup touches one slice and a
 * slice older than the window is dropped whole. Memory: one ClaimTable slot per id in the window
 * (tenant number, id, position: 28 bytes, at a load of 0.35–0.7): 40–80 bytes per id, see
 * docs/ARCHITECTURE.md.
 */
export class ClaimIndex {
  readonly #slices = new Map<number, ClaimTable>();
  /** Tenant name → number (tenants are the credentials' few; never forgotten). */
  readonly #tenants = new Map<string, number>();
  #lastTenant = '';
  #lastTenantNumber = -1;
  readonly #id: [number, number, number, number] = [0, 0, 0, 0];
  readonly #sliceMs: number;
  #size = 0;

  readonly #options: ClaimIndexOptions;

  constructor(options: ClaimIndexOptions) {
    this.#options = options;
    this.#sliceMs = Math.max(1000, Math.ceil(options.windowMs / SLICES_PER_WINDOW));
  }

  /** True when an id minted at `idTimeMs` may be claimed at `nowMs`: in [now − window, now + skew]. */
  inWindow(idTimeMs: number, nowMs: number): boolean {
    return idTimeMs >= nowMs - this.#options.windowMs && idTimeMs <= nowMs + this.#options.skewMs;
  }

  /** The position of the winning claim of `key`, or undefined when it has none (or it expired). */
  winner(key: string, idTimeMs: number): ClaimPosition | undefined {
    const slice = this.#slices.get(Math.floor(idTimeMs / this.#sliceMs));
    if (slice === undefined) return undefined;
    const tenant = this.#parse(key);
    return slice.get(tenant, this.#id);
  }

  /** Applies the claims of the ClaimBatch stored at claims-stream sequence `seq`, in order. */
  apply(seq: number, claims: readonly IndexedClaim[]): void {
    claims.forEach((claim, index) => {
      const slice = this.#sliceOf(claim.idTimeMs);
      // Every replica applies every claim: no key string is made here (one per claim was measurable).
      const tenant = this.#numberOf(claim.tenant);
      this.#readId(claim.eventId);
      const current = slice.get(tenant, this.#id);
      if (current === undefined) {
        if (claim.supersedes !== 0) return; // what it replaces is gone (expired): nothing to replace
        this.#size += 1;
      } else if (claim.supersedes === 0 || current !== claim.supersedes) {
        return; // the id has a winner, and this claim does not replace it
      }
      slice.set(tenant, this.#id, claimPosition(seq, index));
    });
  }

  /** Forgets every id older than the window at `nowMs`. */
  expire(nowMs: number): void {
    const oldestKept = Math.floor((nowMs - this.#options.windowMs) / this.#sliceMs);
    for (const [number, slice] of this.#slices) {
      if (number >= oldestKept) continue;
      this.#size -= slice.size;
      this.#slices.delete(number);
    }
  }

  /** Forgets everything (the stream it was built from is gone). */
  clear(): void {
    this.#slices.clear();
    this.#size = 0;
  }

  /** Ids held. */
  get size(): number {
    return this.#size;
  }

  /** Bytes of the slices' tables: what the index costs (docs/ARCHITECTURE.md, "Memory"). */
  get bytes(): number {
    let bytes = 0;
    for (const slice of this.#slices.values()) bytes += slice.bytes;
    return bytes;
  }

  #sliceOf(idTimeMs: number): ClaimTable {
    const number = Math.floor(idTimeMs / this.#sliceMs);
    let slice = this.#slices.get(number);
    if (slice === undefined) {
      slice = new ClaimTable();
      this.#slices.set(number, slice);
    }
    return slice;
  }

  /** Splits a claimKey: the id's words into #id, the tenant's number returned. */
  #parse(key: string): number {
    const at = key.length - 16;
    if (at < 1 || key.charCodeAt(at - 1) !== 0) throw new Error('not a claim key: tenant, NUL, 16 id bytes');
    const id = this.#id;
    for (let w = 0; w < 4; w++) {
      const i = at + w * 4;
      id[w] =
        ((key.charCodeAt(i) << 24) |
          (key.charCodeAt(i + 1) << 16) |
          (key.charCodeAt(i + 2) << 8) |
          key.charCodeAt(i + 3)) >>>
        0;
    }
    const tenantLength = at - 1;
    if (tenantLength === this.#lastTenant.length && key.startsWith(this.#lastTenant))
      return this.#lastTenantNumber;
    return this.#numberOf(key.slice(0, tenantLength));
  }

  /** The 16 id bytes into #id as four big-endian words. */
  #readId(eventId: Uint8Array): void {
    if (eventId.length !== 16) throw new Error(`an event id of ${eventId.length} bytes, want 16`);
    const id = this.#id;
    for (let w = 0; w < 4; w++) {
      const i = w * 4;
      id[w] =
        (((eventId[i] as number) << 24) |
          ((eventId[i + 1] as number) << 16) |
          ((eventId[i + 2] as number) << 8) |
          (eventId[i + 3] as number)) >>>
        0;
    }
  }

  /** The tenant's number (the last one is remembered: a batch's claims are mostly one tenant's). */
  #numberOf(tenant: string): number {
    if (tenant === this.#lastTenant) return this.#lastTenantNumber;
    let number = this.#tenants.get(tenant);
    if (number === undefined) {
      number = this.#tenants.size;
      this.#tenants.set(tenant, number);
    }
    this.#lastTenant = tenant;
    this.#lastTenantNumber = number;
    return number;
  }
}

/** The index key of (tenant, event id): the tenant, NUL, the 16 id bytes as latin1 characters. */
export function claimKey(tenant: string, eventId: Uint8Array): string {
  return `${tenant}\u0000${Buffer.from(eventId.buffer, eventId.byteOffset, eventId.byteLength).toString('latin1')}`;
}
