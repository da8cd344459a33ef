import type { Attribute, EventKind, Imprint } from '@msi/core';

/** An imprint (`{ algorithm, digest }`, e.g. from hashBytes) or its text form `sha256:<hex>`. */
export type ImprintLike = Imprint | string;
/** An event id: 16 bytes, or UUID text. */
export type EventIdLike = Uint8Array | string;

/** Where data came from or went; each part may be left out (empty). */
export interface EndpointInput {
  readonly system?: string;
  readonly region?: string;
  readonly host?: string;
}

/** The fields every kind of event has (docs/PROOFS.md §4); only `data` and `actor` are required. */
export interface EventFields {
  /** The data the event is about: its imprint, computed locally (hashBytes, hashFile, hashStream). */
  readonly data: ImprintLike;
  /** Who acted (a claim), 1–256 bytes. */
  readonly actor: string;
  /** The event's id (a UUIDv7); minted by the client when absent. Give it to retry an event yourself. */
  readonly eventId?: EventIdLike;
  readonly source?: EndpointInput;
  readonly destination?: EndpointInput;
  /** When it happened: a Date, or microseconds since the epoch. Default: now (the client's clock). */
  readonly occurredAt?: Date | number;
  /** Ids of the events this one follows from (UUIDv7, no repeats, at most 64). */
  readonly parents?: readonly EventIdLike[];
  /** Free key/value pairs (keys [A-Za-z0-9._:-], 1–64 bytes, unique; values ≤ 256 bytes). */
  readonly attributes?: Readonly<Record<string, string>> | readonly Attribute[];
}

/** An event of any kind, as emit takes it. The builders of {@link Events} fill `kind`. */
export interface EventInput extends EventFields {
  readonly kind: EventKind;
  /** PROCESS: the data read (1–64). */
  readonly inputs?: readonly ImprintLike[];
  /** PROCESS: the data produced (1–64). */
  readonly outputs?: readonly ImprintLike[];
  /** TRANSFER to another tenant: the receiving tenant. */
  readonly toTenant?: string;
}

/** The fields of a TRANSFER. */
export interface TransferFields extends EventFields {
  /** The receiving tenant, when the data goes to another tenant; absent within the tenant. */
  readonly toTenant?: string;
}

/** The fields of a PROCESS: what it read and what it produced. */
export interface ProcessFields extends EventFields {
  readonly inputs: readonly ImprintLike[];
  readonly outputs: readonly ImprintLike[];
}

/**
 * `fields` with `kind` (which wins over a `kind` in untyped fields, as `{ ...fields, kind }` did).
 * On Node 20 a property written after a spread (`{ ...fields, kind }`) took ~1.5 µs per object, a
 * spread after it ~80 ns: these builders run once per event.
 */
function ofKind<F extends EventFields>(kind: EventInput['kind'], fields: F): EventInput {
  const input = { kind, ...fields };
  input.kind = kind;
  return input;
}

/**
 * Typed builders of the six kinds of event (docs/PROOFS.md §4), each checked by emit:
 * `client.emit(Events.store({ data: await hashFile('export.csv'), actor: 'etl', destination: { system: 's3' } }))`.
 */
export const Events = {
  /** Data was stored (at `destination`). */
  store: (fields: EventFields): EventInput => ofKind('STORE', fields),
  /** Data was read. */
  access: (fields: EventFields): EventInput => ofKind('ACCESS', fields),
  /** Data moved from `source` to `destination`, possibly to another tenant (`toTenant`). */
  transfer: (fields: TransferFields): EventInput => ofKind('TRANSFER', fields),
  /** A job read `inputs` and produced `outputs` (`data` names the job's configuration or main output). */
  process: (fields: ProcessFields): EventInput => ofKind('PROCESS', fields),
  /** Data was deleted. */
  delete: (fields: EventFields): EventInput => ofKind('DELETE', fields),
  /** A statement about data: attributes `fact.<name>=<value>` set facts the alerter's policy reads. */
  state: (fields: EventFields): EventInput => ofKind('STATE', fields),
} as const;
