import { uuidV7TimeAt } from '@msi/core';
import { ClaimTable, type IdWords } from './claim-table.js';

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

/** Claims read from an encoded ClaimBatch, by index (ClaimKeyReader): each id is 16 bytes of a UUIDv7. */
export interface ClaimKeys {
  readonly count: number;
  /** Where the ids are: claim `i`'s is the 16 bytes from `idAt(i)`. */
  readonly bytes: Uint8Array;
  idAt(i: number): number;
  tenant(i: number): string;
  /** 0, or the position of the void claim that claim `i` replaces. */
  supersedes(i: number): ClaimPosition;
}

export interface ClaimIndexOptions {
  /** The dedup window: ids whose time is older than now − window are refused, and forgotten. */
  readonly windowMs: number;
  /** Ids whose time is later than now + skew are refused. */
  readonly skewMs: number;
  /** Where ids older than the memory horizon go; without it every id in the window stays in memory. */
  readonly cold?: ColdTier;
}

/** The index's disk tier: what it writes to and how much of the window stays in memory. */
export interface ColdTier {
  readonly store: ColdClaimStore;
  /** Ids whose time is within this of now stay in memory (the slices being claimed into). */
  readonly memoryMs: number;
  /** A write that failed (its claims stay in memory; writing is tried again 10 s later). */
  readonly onError?: (error: unknown) => void;
}

/** Claim tables written out of memory (ClaimSpillDirectory writes them to files). */
export interface ColdClaimStore {
  /** Writes `table` as a new cold table; over the entries of `under` when given (table's win). */
  write(table: ClaimTable, under?: ColdClaims): Promise<ColdClaims>;
  /** Drops a cold table no longer used. */
  remove(cold: ColdClaims): void;
}

/** A written claim table, read in place (synchronously). */
export interface ColdClaims {
  readonly size: number;
  /** Bytes it takes in the store. */
  readonly bytes: number;
  get(tenant: number, id: IdWords): number | undefined;
}

/** Slices per window: an expired slice is dropped whole, so memory lags expiry by 1/32 window. */
const SLICES_PER_WINDOW = 32;
/** How often the cold tier looks for a slice to write (and at once after each write). */
const MAINTAIN_EVERY_MS = 1000;
/** After a failed write. */
const RETRY_WRITE_AFTER_MS = 10_000;
/** A cold slice that claims keep touching is written after this many looks anyway (memory stays bounded). */
const MAX_TOUCHED_LOOKS = 30;
/** Claims applied to written slices held in memory at most before the largest such set is written. */
const OVERLAY_BUDGET_IDS = 2 ** 18;
/** A written slice's later claims are merged into its table once this many (or a quarter of it). */
const OVERLAY_MERGE_MIN_IDS = 4096;

/**
 * One time slice of the index. A hot slice (ids within the memory horizon) is all `table`. A cold one
 * is `cold` on disk, under `table`: the claims applied to it since it was written (a late id, a
 * replacement), which shadow the disk's; while a write runs, `writing` is between them.
 */
interface Slice {
  table: ClaimTable | undefined;
  writing: ClaimTable | undefined;
  cold: ColdClaims | undefined;
  /** Ids held, over all three. */
  ids: number;
  /** A claim was applied since the cold tier last looked (a slice still filling is left alone). */
  touched: boolean;
  /** Looks in a row that found this slice touched. */
  touchedLooks: number;
  /** The last look found no claim applied since the look before. */
  idle: boolean;
  dropped: boolean;
}

/**
 * The winning claim of every (tenant, event id) whose id time lies in the window, built by applying
 * the claims stream in order: the first claim of a key wins; a claim that names a void winner in
 * `supersedes` replaces it if that is still the winner. Every replica that applies the same stream
 * holds the same winners. The index decides (time is passed in); I/O is the cold store's.
 *
 * Keys are grouped in slices by the time in the event id, so a lookup touches one slice and a
 * slice older than the window is dropped whole. Memory: one ClaimTable slot per id (tenant number,
 * id, position: 28 bytes, at a load of 0.35–0.7): 40–80 bytes per id, see docs/ARCHITECTURE.md.
 * With a cold tier only the ids within `memoryMs` of now (and a bounded set of late ones) are in
 * memory; a slice that falls behind the horizon is written to the store and probed there.
 */
export class ClaimIndex {
  readonly #slices = new Map<number, Slice>();
  /** Tenant name → number (tenants are the credentials' few; never forgotten). */
  readonly #tenants = new Map<string, number>();
  #lastTenant = '';
  #lastTenantNumber = -1;
  readonly #id: [number, number, number, number] = [0, 0, 0, 0];
  readonly #sliceMs: number;
  /** The slice the last claim went to (a batch's ids are mostly of one slice). */
  #lastSliceNumber = Number.NaN;
  #lastSlice: Slice | undefined;
  #size = 0;
  #writes = 0;
  #writeRunning = false;
  #nextLookMs = 0;
  #lastNowMs = 0;

  readonly #options: ClaimIndexOptions;

  constructor(options: ClaimIndexOptions) {
    this.#options = options;
    const horizon = options.cold === undefined ? Number.POSITIVE_INFINITY : options.cold.memoryMs / 2;
    this.#sliceMs = Math.max(1000, Math.ceil(Math.min(options.windowMs / SLICES_PER_WINDOW, horizon)));
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
    return positionIn(slice, tenant, this.#id);
  }

  /** Applies the claims of the ClaimBatch stored at claims-stream sequence `seq`, in order. */
  apply(seq: number, claims: readonly IndexedClaim[]): void {
    claims.forEach((claim, index) => {
      if (claim.eventId.length !== 16)
        throw new Error(`an event id of ${claim.eventId.length} bytes, want 16`);
      this.#readId(claim.eventId, 0);
      this.#applyOne(
        claimPosition(seq, index),
        claim.idTimeMs,
        this.#numberOf(claim.tenant),
        claim.supersedes,
      );
    });
  }

  /**
   * `apply` for claims read from an encoded ClaimBatch (ClaimKeyReader, which checked every id):
   * no object per claim, since every replica applies every claim. The id time is read in place
   * (uuidV7TimeAt).
   */
  applyKeys(seq: number, keys: ClaimKeys): void {
    const bytes = keys.bytes;
    for (let index = 0; index < keys.count; index++) {
      const at = keys.idAt(index);
      this.#readId(bytes, at);
      this.#applyOne(
        claimPosition(seq, index),
        uuidV7TimeAt(bytes, at),
        this.#numberOf(keys.tenant(index)),
        keys.supersedes(index),
      );
    }
  }

  /** Applies one claim whose id is in #id. */
  #applyOne(position: ClaimPosition, idTimeMs: number, tenant: number, supersedes: ClaimPosition): void {
    const slice = this.#sliceOf(idTimeMs);
    if (supersedes === 0 && slice.writing === undefined && slice.cold === undefined) {
      // A hot slice (the common case): the id's winner is in its table or nowhere; one probe.
      slice.table ??= new ClaimTable(16);
      if (slice.table.setIfAbsent(tenant, this.#id, position) !== undefined) return;
      this.#size += 1;
      slice.ids += 1;
      slice.touched = true;
      return;
    }
    const current = positionIn(slice, tenant, this.#id);
    if (current === undefined) {
      if (supersedes !== 0) return; // what it replaces is gone (expired): nothing to replace
      this.#size += 1;
      slice.ids += 1;
    } else if (supersedes === 0 || current !== supersedes) {
      return; // the id has a winner, and this claim does not replace it
    }
    slice.table ??= new ClaimTable(16);
    slice.table.set(tenant, this.#id, position);
    slice.touched = true;
  }

  /** Forgets every id older than the window at `nowMs`; with a cold tier, writes out what fell behind. */
  expire(nowMs: number): void {
    this.#lastNowMs = nowMs;
    const oldestKept = Math.floor((nowMs - this.#options.windowMs) / this.#sliceMs);
    for (const [number, slice] of this.#slices) {
      if (number >= oldestKept) continue;
      this.#drop(slice);
      this.#slices.delete(number);
    }
    this.#maintain(nowMs);
  }

  /** Forgets everything (the stream it was built from is gone). */
  clear(): void {
    for (const slice of this.#slices.values()) this.#drop(slice);
    this.#slices.clear();
  }

  /** Ids held. */
  get size(): number {
    return this.#size;
  }

  /** Bytes of the tables in memory: what the index costs (docs/ARCHITECTURE.md, "Memory"). */
  get bytes(): number {
    let bytes = 0;
    for (const slice of this.#slices.values())
      bytes += (slice.table?.bytes ?? 0) + (slice.writing?.bytes ?? 0);
    return bytes;
  }

  /** Bytes of the tables in the cold store. */
  get coldBytes(): number {
    let bytes = 0;
    for (const slice of this.#slices.values()) bytes += slice.cold?.bytes ?? 0;
    return bytes;
  }

  /** Slices written to the cold store so far (first writes and merges). */
  get coldWrites(): number {
    return this.#writes;
  }

  /**
   * Writes at most one slice at a time: the first cold slice still wholly in memory that no claim
   * touched since the last look (or that claims kept touching for 30 looks), else a written slice
   * whose later claims reached a quarter of it, else — when the later claims held in memory on top
   * of written slices pass the budget — the written slice with the most of them. A slice still being
   * filled (a replay at start applies the window in time order) is left whole in memory: written
   * early, each of its later claims would be looked up on disk.
   */
  #maintain(nowMs: number, look = true): void {
    const tier = this.#options.cold;
    if (tier === undefined || this.#writeRunning) return;
    if (look) {
      if (nowMs < this.#nextLookMs) return;
      this.#nextLookMs = nowMs + MAINTAIN_EVERY_MS;
    }
    const coldBelow = Math.floor((nowMs - tier.memoryMs) / this.#sliceMs);
    let chosen: Slice | undefined;
    let largest: Slice | undefined;
    let onTop = 0;
    for (const [number, slice] of this.#slices) {
      if (look) {
        // Idle: no claim since the look before; a write right after another judges by the last look.
        slice.idle = !slice.touched;
        slice.touchedLooks = slice.touched ? slice.touchedLooks + 1 : 0;
        slice.touched = false;
      }
      const table = slice.table;
      if (number >= coldBelow || table === undefined || table.size === 0) continue;
      const idle = slice.idle && !slice.touched;
      if (slice.cold === undefined) {
        if (chosen === undefined && (idle || slice.touchedLooks >= MAX_TOUCHED_LOOKS)) chosen = slice;
        continue;
      }
      onTop += table.size;
      if (largest === undefined || table.size > (largest.table?.size ?? 0)) largest = slice;
      if (chosen === undefined && idle && table.size >= Math.max(OVERLAY_MERGE_MIN_IDS, slice.cold.size / 4))
        chosen = slice;
    }
    if (chosen === undefined && onTop > OVERLAY_BUDGET_IDS) chosen = largest;
    if (chosen !== undefined) this.#write(tier, chosen);
  }

  #write(tier: ColdTier, slice: Slice): void {
    const table = slice.table;
    if (table === undefined) return;
    const under = slice.cold;
    slice.table = undefined;
    slice.writing = table;
    this.#writeRunning = true;
    tier.store.write(table, under).then(
      (written) => {
        slice.writing = undefined;
        this.#writes += 1;
        if (slice.dropped) tier.store.remove(written);
        else slice.cold = written;
        if (under !== undefined) tier.store.remove(under);
        this.#writeRunning = false;
        this.#maintain(this.#lastNowMs, false);
      },
      (error: unknown) => {
        // Keep its claims in memory, under those applied since (they are later).
        slice.writing = undefined;
        if (slice.dropped) {
          if (under !== undefined) tier.store.remove(under);
        } else {
          if (slice.table !== undefined) table.setAll(slice.table);
          slice.table = table;
        }
        this.#writeRunning = false;
        this.#nextLookMs = this.#lastNowMs + RETRY_WRITE_AFTER_MS;
        tier.onError?.(error);
      },
    );
  }

  #drop(slice: Slice): void {
    if (slice === this.#lastSlice) {
      this.#lastSlice = undefined;
      this.#lastSliceNumber = Number.NaN;
    }
    this.#size -= slice.ids;
    slice.dropped = true;
    slice.table = undefined;
    // A slice being written is removed once its write ends (it cannot be stopped).
    if (slice.writing === undefined && slice.cold !== undefined) this.#options.cold?.store.remove(slice.cold);
    slice.cold = undefined;
  }

  #sliceOf(idTimeMs: number): Slice {
    const number = Math.floor(idTimeMs / this.#sliceMs);
    if (number === this.#lastSliceNumber && this.#lastSlice !== undefined) return this.#lastSlice;
    let slice = this.#slices.get(number);
    if (slice === undefined) {
      slice = {
        table: new ClaimTable(Math.max(1024, this.#expectedIds(number) / 0.7)),
        writing: undefined,
        cold: undefined,
        ids: 0,
        touched: true,
        touchedLooks: 0,
        idle: false,
        dropped: false,
      };
      this.#slices.set(number, slice);
    }
    this.#lastSliceNumber = number;
    this.#lastSlice = slice;
    return slice;
  }

  /**
   * Ids a new slice is expected to take, to size its table once rather than double it ~10 times
   * (each doubling re-inserts every id on the event loop): for the slice of now (or the next), what
   * the slice before it took; else 0. So a table is never made larger than one the index already held.
   */
  #expectedIds(number: number): number {
    const nowSlice = Math.floor(this.#lastNowMs / this.#sliceMs);
    if (number !== nowSlice && number !== nowSlice + 1) return 0;
    return this.#slices.get(number - 1)?.ids ?? 0;
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

  /** The 16 id bytes at `at` of `bytes` (the caller checked they are there) into #id as four big-endian words. */
  #readId(bytes: Uint8Array, at: number): void {
    const id = this.#id;
    for (let w = 0; w < 4; w++) {
      const i = at + w * 4;
      id[w] =
        (((bytes[i] as number) << 24) |
          ((bytes[i + 1] as number) << 16) |
          ((bytes[i + 2] as number) << 8) |
          (bytes[i + 3] as number)) >>>
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

/** The winner of (tenant, id) in a slice: its later claims first, then what is being written, then disk. */
function positionIn(slice: Slice, tenant: number, id: IdWords): ClaimPosition | undefined {
  return slice.table?.get(tenant, id) ?? slice.writing?.get(tenant, id) ?? slice.cold?.get(tenant, id);
}

/** The index key of (tenant, event id): the tenant, NUL, the 16 id bytes as latin1 characters. */
export function claimKey(tenant: string, eventId: Uint8Array): string {
  return `${tenant}\u0000${Buffer.from(eventId.buffer, eventId.byteOffset, eventId.byteLength).toString('latin1')}`;
}
