// The JSON shapes of the console's HTTP API (README.md, "HTTP API"): what the gateway answers and the
// browser reads. Integers that may pass 2^31 (rounds, µs instants, sequences) travel as decimal
// strings; ids as canonical UUID text; imprints as `<algorithm>:<hex>` text. Type-only: shared by the
// gateway (src/) and the browser app (web/).

/** POST /api/v1/history: the chain of custody of an imprint (GetHistory). */
export interface HistoryRequestJson {
  /** The data imprint as text, e.g. `sha256:<64 hex>`. */
  readonly data: string;
  readonly pageSize?: number;
  readonly pageToken?: string;
}

/** One row of a chain of custody; the receipt is what the browser verifies. */
export interface HistoryEntryJson {
  /** "data", "input" or "output" (the server's word; checked against the verified event). */
  readonly role: string;
  readonly anchored: boolean;
  /** The round the server says anchors it; decimal. */
  readonly round: string;
  /** The receipt's canonical JSON (docs/PROOFS.md §8), when anchored. */
  readonly receiptJson: string | null;
  /** The event's id and fields as the server decoded them: shown only as unverified. */
  readonly eventId: string;
  readonly kind: string;
  readonly tenant: string;
  readonly actor: string;
  readonly receivedAtUs: string;
}

export interface HistoryResponseJson {
  readonly entries: readonly HistoryEntryJson[];
  readonly nextPageToken: string;
}

/** POST /api/v1/receipt: one event's receipt (GetReceipt). */
export interface ReceiptRequestJson {
  /** The event id as UUID text. */
  readonly eventId: string;
}

export interface ReceiptResponseJson {
  readonly receiptJson: string;
}

/** POST /api/v1/checkpoint: a checkpoint note (GetCheckpoint; public). */
export interface CheckpointRequestJson {
  /** 0 or absent: the newest. */
  readonly size?: number;
}

export interface CheckpointResponseJson {
  readonly checkpoint: string;
  readonly size: string;
}

/** POST /api/v1/search/actor: the events an actor or submitter took part in (SearchByActor). */
export interface ActorSearchRequestJson {
  /** The actor or submitter, exactly as in the events (1–256 bytes of UTF-8). */
  readonly actor: string;
  /** Only events received at or after / before these instants, µs since the epoch as decimal text. */
  readonly fromUs?: string;
  readonly toUs?: string;
  readonly pageSize?: number;
  readonly pageToken?: string;
}

/** Newest first; each entry's `role` is "actor", "submitter" or "actor,submitter" (the server's word). */
export interface ActorSearchResponseJson {
  readonly entries: readonly HistoryEntryJson[];
  readonly nextPageToken: string;
}

export type LineageDirectionName = 'upstream' | 'downstream' | 'both';

/** POST /api/v1/lineage: a data item's lineage across several hops (GetLineage). */
export interface LineageRequestJson {
  /** The imprint the walk starts from, e.g. `sha256:<64 hex>`. */
  readonly data: string;
  /** Absent: both ways. */
  readonly direction?: LineageDirectionName;
  /** 0–16 hops (0: the verifier's default, 4). */
  readonly maxDepth?: number;
  /** 0–5000 links (0: the verifier's default, 1,000). */
  readonly maxLinks?: number;
}

export interface EndpointJson {
  readonly system: string;
  readonly region: string;
  readonly host: string;
}

/**
 * One link of the walk as the server lists it (unverified), with its event's receipt for the page
 * to verify: an edge is drawn as verified only from the verified event, never from these fields.
 */
export interface LineageHopJson {
  readonly kind: 'PROCESS' | 'TRANSFER' | 'unspecified';
  readonly eventId: string;
  readonly fromData: readonly string[];
  readonly toData: readonly string[];
  readonly fromTenant: string;
  readonly toTenant: string;
  readonly source: EndpointJson;
  readonly destination: EndpointJson;
  /** Hops from the starting item (1 for a link that names it). */
  readonly depth: number;
  /** Which walk found it: towards the item's inputs, or from it. */
  readonly direction: 'upstream' | 'downstream' | 'unspecified';
  readonly anchored: boolean;
  /** The round the server says anchors it; decimal. */
  readonly round: string;
  /** The event's receipt (GetReceipt with the caller's key), when anchored; null otherwise. */
  readonly receiptJson: string | null;
}

export interface LineageResponseJson {
  readonly hops: readonly LineageHopJson[];
  /** The walk stopped at maxDepth or maxLinks before running out of links. */
  readonly truncated: boolean;
}

/** POST /api/v1/witnesses: every witness seen cosigning the calendar (GetWitnessStatus; public). */
export interface WitnessStatusJson {
  readonly name: string;
  /** 8 lowercase hex digits. */
  readonly keyId: string;
  readonly cosignedSize: string;
  readonly cosignedAtUs: string;
  /** Calendar entries the newest checkpoint is ahead of `cosignedSize`. */
  readonly lagEntries: string;
  /** µs between the close of the newest checkpoint's round and that of the cosigned one. */
  readonly lagUs: string;
}

export interface WitnessesResponseJson {
  readonly checkpointSize: string;
  readonly witnesses: readonly WitnessStatusJson[];
}

/** POST /api/v1/publications: the calendar's publications, newest first (ListPublications; public). */
export interface PublicationsRequestJson {
  readonly pageSize?: number;
  readonly pageToken?: string;
}

export interface PublicationJson {
  readonly timeUs: string;
  readonly size: string;
  /** The publication text (docs/PROOFS.md §10), to download. */
  readonly text: string;
}

export interface PublicationsResponseJson {
  readonly publications: readonly PublicationJson[];
  readonly nextPageToken: string;
}

/** POST /api/v1/round: one calendar round (GetRound; public), decoded by the gateway (unverified). */
export interface RoundRequestJson {
  /** The round number k, decimal text or a number; absent: `atUs`. */
  readonly round?: string | number;
  /** The first round closed at or after this instant, µs since the epoch as decimal text. */
  readonly atUs?: string;
}

export interface RoundResponseJson {
  readonly round: string;
  readonly closedAtUs: string;
  readonly intervalMs: number;
  readonly sealCount: number;
  /** The checkpoint of the calendar of size round + 1. */
  readonly checkpoint: string;
}

export type SeverityName = 'low' | 'medium' | 'high' | 'critical';
export type CategoryName = 'policy' | 'custody' | 'integrity';
export type AlertStatusName = 'open' | 'acknowledged';

/** POST /api/v1/alerts: the newest alerts matching a filter (ListAlerts). */
export interface AlertsRequestJson {
  readonly tenant?: string;
  readonly minSeverity?: SeverityName;
  readonly category?: CategoryName;
  readonly rule?: string;
  readonly status?: AlertStatusName;
  readonly pageSize?: number;
}

export interface AlertJson {
  readonly alertId: string;
  readonly sequence: string;
  readonly rule: string;
  readonly severity: SeverityName | 'unspecified';
  readonly category: CategoryName | 'unspecified';
  readonly tenant: string;
  readonly message: string;
  readonly eventIds: readonly string[];
  readonly anchoredRound: string;
  readonly firstSeenUs: string;
  readonly lastSeenUs: string;
  readonly occurrences: string;
  readonly status: AlertStatusName | 'unspecified';
  readonly acknowledgedBy: string;
  readonly acknowledgedAtUs: string;
  readonly acknowledgeNote: string;
  readonly details: Readonly<Record<string, string>>;
}

export interface AlertsResponseJson {
  readonly alerts: readonly AlertJson[];
}

/** POST /api/v1/alerts/ack: acknowledges one alert (AcknowledgeAlert; operator role). */
export interface AckRequestJson {
  readonly alertId: string;
  readonly note?: string;
}

export interface AckResponseJson {
  readonly alert: AlertJson;
}

/** Every refusal: the HTTP status carries the class, `code` the gRPC status name or a gateway code. */
export interface ErrorJson {
  readonly code: string;
  readonly message: string;
}
