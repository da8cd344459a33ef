import type { Imprint } from '../imprint/index.js';

/** What happened to the data (docs/PROOFS.md §4, `kind`). */
export type EventKind = 'TRANSFER' | 'PROCESS' | 'STORE' | 'ACCESS' | 'DELETE' | 'STATE';

/** Where data came from or went to. Each string may be empty (at most 256 UTF-8 bytes). */
export interface Endpoint {
  readonly system: string;
  readonly region: string;
  readonly host: string;
}

/** A free key/value pair. Keys are unique within an event; their order is irrelevant. */
export interface Attribute {
  readonly key: string;
  readonly value: string;
}

/**
 * A data-transaction event: the domain form of canonical event v1 (docs/PROOFS.md §4). Field names
 * are the camelCase of the canonical field names; error paths use the snake_case ones. Times are
 * microseconds since the epoch (UTC), as safe integers. Validate with validateEvent.
 */
export interface DataEvent {
  /** The tenant the event belongs to (set from the submitter's credential). */
  readonly tenant: string;
  /** A UUIDv7 minted by the client, 16 bytes. */
  readonly eventId: Uint8Array;
  readonly kind: EventKind;
  /** The data the event is about. */
  readonly data: Imprint;
  /** PROCESS: the data read (1–64); empty for other kinds. */
  readonly inputs: readonly Imprint[];
  /** PROCESS: the data produced (1–64); empty for other kinds. */
  readonly outputs: readonly Imprint[];
  /** TRANSFER to another tenant: the receiving tenant; empty otherwise. */
  readonly toTenant: string;
  /** Who the client says acted (a claim), 1–256 bytes. */
  readonly actor: string;
  /** The authenticated principal that submitted the event (set by ingest), 1–256 bytes. */
  readonly submitter: string;
  readonly source: Endpoint;
  readonly destination: Endpoint;
  /** When the client says it happened (a claim), µs since the epoch, > 0. */
  readonly occurredAt: number;
  /** When ingest received it (ingest's clock), µs since the epoch, > 0. */
  readonly receivedAt: number;
  /** Ids (UUIDv7) of the events this one follows from, in the client's order, no duplicates, at most 64. */
  readonly parents: readonly Uint8Array[];
  /** At most 64, keys unique; any order (the canonical form sorts them by key). */
  readonly attributes: readonly Attribute[];
  /** 128 random bits chosen by ingest, 16 bytes. */
  readonly nonce: Uint8Array;
}

/** Limits of canonical event v1 (docs/PROOFS.md §4). */
export const EVENT_LIMITS = {
  maxTenantBytes: 64,
  maxPrincipalBytes: 256,
  maxEndpointBytes: 256,
  maxAttributeKeyBytes: 64,
  maxAttributeValueBytes: 256,
  maxListItems: 64,
  nonceBytes: 16,
} as const;

/** The `kind` byte of canonical event v1. */
export function kindCode(kind: EventKind): number {
  switch (kind) {
    case 'TRANSFER':
      return 1;
    case 'PROCESS':
      return 2;
    case 'STORE':
      return 3;
    case 'ACCESS':
      return 4;
    case 'DELETE':
      return 5;
    case 'STATE':
      return 6;
    default: {
      const _: never = kind;
      throw new TypeError(`unknown event kind ${String(_)}`);
    }
  }
}

/** The six kinds in the order of their codes (1–6). */
export const EVENT_KINDS: readonly EventKind[] = [
  'TRANSFER',
  'PROCESS',
  'STORE',
  'ACCESS',
  'DELETE',
  'STATE',
];

/** The kind whose byte is `code`, or undefined when `code` is not 1–6. */
export function kindFromCode(code: number): EventKind | undefined {
  return Number.isInteger(code) ? EVENT_KINDS[code - 1] : undefined;
}

/** True when `value` is one of the six kinds (for values that come from outside the type system). */
export function isEventKind(value: unknown): value is EventKind {
  return typeof value === 'string' && (EVENT_KINDS as readonly string[]).includes(value);
}
