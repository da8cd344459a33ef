import type { TlsOptions } from './channel.js';
import { MsiClientError } from './client-error.js';
import type { ReceiptStore } from './receipt-store.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry-policy.js';

/** A receipt delivered for an individual event (after it was verified). */
export interface DeliveredReceipt {
  readonly eventId: string;
  /** The receipt v1 as canonical JSON (docs/PROOFS.md §8): store it, hand it to auditors. */
  readonly json: string;
  /** The round that anchors the event. */
  readonly round: number;
}

/** Options of createClient. Only `ingest` is required; every other value has a default. */
export interface ClientOptions {
  /** Ingest's address, `host:port`. */
  readonly ingest: string;
  /** The verifier's address, `host:port`: where receipts come from (needed for aggregation and receipts). */
  readonly verifier?: string;
  /** The API key for ingest (`authorization: Bearer`), and for the verifier unless `verifierApiKey`. */
  readonly apiKey?: string;
  /** The API key for the verifier (it needs the auditor role of the tenant). */
  readonly verifierApiKey?: string;
  /** Plaintext connections, for development servers only (default false: TLS). */
  readonly insecure?: boolean;
  /** TLS: the servers' CA, and a client certificate and key for mTLS. */
  readonly tls?: TlsOptions;
  /** The deadline of each call to ingest, ms (default 10,000). */
  readonly deadlineMs?: number;
  readonly batching?: {
    /** A batch waits at most this long for more events, ms (default 5). */
    readonly lingerMs?: number;
    /** Events per SubmitBatch, 1–1,000 (default 500). */
    readonly maxEvents?: number;
    /** SubmitBatch calls in flight (default 4). */
    readonly maxInFlight?: number;
  };
  readonly queue?: {
    /** Individual events submitted and not yet durable, at most (default 100,000). */
    readonly maxEvents?: number;
    /** When full, emit waits for room (default) or rejects with QUEUE_FULL. */
    readonly whenFull?: 'wait' | 'reject';
  };
  /** Retries of what did not become durable (same event ids; defaults 50 ms doubling to 5 s, give up after 120 s). */
  readonly retry?: Partial<RetryPolicy>;
  /** Local aggregation (docs/PROOFS.md §12); absent: emit({ mode: 'aggregated' }) is NOT_AGGREGATED. */
  readonly aggregation?: {
    /** A local tree is sealed this often, ms (default 1,000). */
    readonly intervalMs?: number;
    /** ...or when it holds this many events (default 1,048,576). */
    readonly maxLeaves?: number;
    /** Aggregated events whose root event is not durable yet, at most (default 4,194,304). */
    readonly maxPendingEvents?: number;
    /** The actor of root events (default `msi-client`). */
    readonly actor?: string;
  };
  readonly receipts?: {
    /** Where the client keeps aggregated events and receipts (default: a FileReceiptStore in `dir`). */
    readonly store?: ReceiptStore;
    /** The default store's directory (default `msi-receipts`). */
    readonly dir?: string;
    /** Also receive the receipts of individual events (default: when `onReceipt` is given). */
    readonly individual?: boolean;
    /** Each individual event's receipt, verified, as it arrives; it is also put in the store. */
    readonly onReceipt?: (receipt: DeliveredReceipt) => void;
    /** Each local tree whose root event's receipt is verified and stored. */
    readonly onTreeAnchored?: (tree: { treeId: string; leafCount: number; round: number }) => void;
    /**
     * The calendar's verifier keys (`<name>+<id>+<base64>`) that receipts must be signed with, and
     * witness keys and a quorum. Without log keys, delivered receipts are checked up to the
     * checkpoint's root (every proof) but not its signature.
     */
    readonly logKeys?: readonly string[];
    readonly witnessKeys?: readonly string[];
    readonly quorum?: number;
    /** Ids asked for within this time share one WatchReceipts stream, ms (default 250). */
    readonly coalesceMs?: number;
  };
  /** The clock, ms since the epoch (default Date.now): event ids, occurred_at, retries. */
  readonly now?: () => number;
  /** The random source (default crypto.getRandomValues): event ids, nonces. */
  readonly randomFill?: (bytes: Uint8Array) => void;
}

/** The options with every default filled in and every value checked. */
export interface ResolvedOptions {
  readonly ingest: string;
  readonly verifier: string | undefined;
  readonly apiKey: string | undefined;
  readonly verifierApiKey: string | undefined;
  readonly insecure: boolean;
  readonly tls: TlsOptions | undefined;
  readonly deadlineMs: number;
  readonly lingerMs: number;
  readonly maxBatchEvents: number;
  readonly maxInFlight: number;
  readonly maxQueuedEvents: number;
  readonly whenFull: 'wait' | 'reject';
  readonly retry: RetryPolicy;
  readonly aggregation:
    | { intervalMs: number; maxLeaves: number; maxPendingEvents: number; actor: string }
    | undefined;
  readonly receiptDir: string;
  readonly receiptStore: ReceiptStore | undefined;
  readonly individualReceipts: boolean;
  readonly onReceipt: ((receipt: DeliveredReceipt) => void) | undefined;
  readonly onTreeAnchored: ((tree: { treeId: string; leafCount: number; round: number }) => void) | undefined;
  readonly logKeys: readonly string[];
  readonly witnessKeys: readonly string[];
  readonly quorum: number;
  readonly coalesceMs: number;
  readonly now: () => number;
  readonly randomFill: (bytes: Uint8Array) => void;
}

const ADDRESS = /^[^\s/]+:[0-9]{1,5}$/;

/** Fills in the defaults and checks every value (MsiClientError INVALID_OPTIONS naming the option). */
export function resolveOptions(o: ClientOptions): ResolvedOptions {
  address(o.ingest, 'ingest');
  if (o.verifier !== undefined) address(o.verifier, 'verifier');
  const r = o.receipts ?? {};
  const a = o.aggregation;
  const resolved: ResolvedOptions = {
    ingest: o.ingest,
    verifier: o.verifier,
    apiKey: o.apiKey,
    verifierApiKey: o.verifierApiKey ?? o.apiKey,
    insecure: o.insecure ?? false,
    tls: o.tls,
    deadlineMs: count(o.deadlineMs ?? 10_000, 'deadlineMs', 1, 3_600_000),
    lingerMs: count(o.batching?.lingerMs ?? 5, 'batching.lingerMs', 0, 60_000),
    maxBatchEvents: count(o.batching?.maxEvents ?? 500, 'batching.maxEvents', 1, 1000),
    maxInFlight: count(o.batching?.maxInFlight ?? 4, 'batching.maxInFlight', 1, 256),
    maxQueuedEvents: count(o.queue?.maxEvents ?? 100_000, 'queue.maxEvents', 1, 100_000_000),
    whenFull: oneOf(o.queue?.whenFull ?? 'wait', ['wait', 'reject'], 'queue.whenFull'),
    retry: {
      initialDelayMs: count(
        o.retry?.initialDelayMs ?? DEFAULT_RETRY.initialDelayMs,
        'retry.initialDelayMs',
        1,
        600_000,
      ),
      maxDelayMs: count(o.retry?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs, 'retry.maxDelayMs', 1, 3_600_000),
      giveUpAfterMs: count(
        o.retry?.giveUpAfterMs ?? DEFAULT_RETRY.giveUpAfterMs,
        'retry.giveUpAfterMs',
        1,
        86_400_000,
      ),
    },
    aggregation:
      a === undefined
        ? undefined
        : {
            intervalMs: count(a.intervalMs ?? 1000, 'aggregation.intervalMs', 1, 3_600_000),
            maxLeaves: count(a.maxLeaves ?? 1 << 20, 'aggregation.maxLeaves', 1, 1 << 26),
            maxPendingEvents: count(
              a.maxPendingEvents ?? 1 << 22,
              'aggregation.maxPendingEvents',
              1,
              1 << 30,
            ),
            actor: text(a.actor ?? 'msi-client', 'aggregation.actor'),
          },
    receiptDir: r.dir ?? 'msi-receipts',
    receiptStore: r.store,
    individualReceipts: r.individual ?? r.onReceipt !== undefined,
    onReceipt: r.onReceipt,
    onTreeAnchored: r.onTreeAnchored,
    logKeys: r.logKeys ?? [],
    witnessKeys: r.witnessKeys ?? [],
    quorum: count(r.quorum ?? 0, 'receipts.quorum', 0, 100),
    coalesceMs: count(r.coalesceMs ?? 250, 'receipts.coalesceMs', 0, 60_000),
    now: o.now ?? Date.now,
    randomFill: o.randomFill ?? ((bytes) => globalThis.crypto.getRandomValues(bytes)),
  };
  if (
    (resolved.aggregation !== undefined || resolved.individualReceipts) &&
    resolved.verifier === undefined
  ) {
    throw new MsiClientError(
      'INVALID_OPTIONS',
      'receipts come from the verifier: give `verifier` (host:port) with aggregation or receipts',
      'verifier',
    );
  }
  return resolved;
}

function address(value: string, option: string): void {
  if (typeof value !== 'string' || !ADDRESS.test(value)) {
    throw new MsiClientError(
      'INVALID_OPTIONS',
      `${option}: "${String(value).slice(0, 80)}" is not host:port`,
      option,
    );
  }
}

function count(value: number, option: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new MsiClientError(
      'INVALID_OPTIONS',
      `${option}: ${value} is not an integer in [${min}, ${max}]`,
      option,
    );
  }
  return value;
}

function oneOf<T extends string>(value: T, allowed: readonly T[], option: string): T {
  if (!allowed.includes(value)) {
    throw new MsiClientError(
      'INVALID_OPTIONS',
      `${option}: "${value}" is not one of ${allowed.join(', ')}`,
      option,
    );
  }
  return value;
}

function text(value: string, option: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new MsiClientError('INVALID_OPTIONS', `${option}: must be 1-256 characters`, option);
  }
  return value;
}
