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
