import {
  formatImprint,
  formatUuid,
  type ReceiptFailureCode,
  type VerifiedAgainstPublication,
  type VerifiedAggregatedReceipt,
  type VerifiedCoseReceipt,
  type VerifiedReceipt,
} from '@msi/core';
import { formatMicros, formatSeconds } from './format-time.js';

/**
 * The one-line summary of what a valid receipt proves, e.g.
 * `VALID event 0192… STORE acme sha256:ab… round 42 closed 2026-11-25T01:02:03.000000Z checkpoint
 * msi.dev/calendar@43 witnesses: w1@2026-11-25T01:02:09Z`.
 */
export function formatVerifiedLine(verified: VerifiedReceipt): string {
  const { event, round, checkpoint } = verified;
  const witnesses =
    verified.witnesses.length === 0
      ? 'none'
      : verified.witnesses.map((w) => `${w.name}@${formatSeconds(w.time)}`).join(', ');
  const extended = verified.extendedTo === undefined ? '' : `  extended to @${verified.extendedTo.size}`;
  return (
    `VALID event ${formatUuid(event.eventId)}  ${event.kind} ${event.tenant} ${formatImprint(event.data)}` +
    `  round ${round.round} closed ${formatMicros(round.closedAt)}` +
    `  checkpoint ${checkpoint.origin}@${checkpoint.size}${extended}  witnesses: ${witnesses}`
  );
}

/**
 * The one-line summary of a valid COSE receipt (docs/PROOFS.md §16): what a receipt v1 line says
 * but witnesses, which a COSE receipt does not carry, e.g. `VALID event 0192… STORE acme sha256:ab…
 * round 42 closed 2026-11-25T01:02:03.000000Z  COSE receipt msi.dev/calendar@43`.
 */
export function formatCoseLine(verified: VerifiedCoseReceipt): string {
  const { event, round } = verified;
  return (
    `VALID event ${formatUuid(event.eventId)}  ${event.kind} ${event.tenant} ${formatImprint(event.data)}` +
    `  round ${round.round} closed ${formatMicros(round.closedAt)}` +
    `  COSE receipt ${verified.origin}@${verified.size}`
  );
}

/** The machine-readable result of a valid COSE receipt (`--json`). */
export function coseJson(verified: VerifiedCoseReceipt): Record<string, unknown> {
  const { event, round } = verified;
  return {
    ok: true,
    format: 'scitt',
    event: {
      eventId: formatUuid(event.eventId),
      kind: event.kind,
      tenant: event.tenant,
      data: formatImprint(event.data),
      actor: event.actor,
      submitter: event.submitter,
      occurredAt: formatMicros(event.occurredAt),
      receivedAt: formatMicros(event.receivedAt),
    },
    round: round.round,
    closedAt: formatMicros(round.closedAt),
    checkpoint: { origin: verified.origin, size: verified.size },
    logKeys: [verified.logKey],
  };
}

/** The machine-readable result of a valid receipt (`--json`). */
export function verifiedJson(verified: VerifiedReceipt): Record<string, unknown> {
  const { event, round, checkpoint } = verified;
  return {
    ok: true,
    event: {
      eventId: formatUuid(event.eventId),
      kind: event.kind,
      tenant: event.tenant,
      data: formatImprint(event.data),
      actor: event.actor,
      submitter: event.submitter,
      occurredAt: formatMicros(event.occurredAt),
      receivedAt: formatMicros(event.receivedAt),
    },
    round: round.round,
    closedAt: formatMicros(round.closedAt),
    checkpoint: { origin: checkpoint.origin, size: checkpoint.size },
    ...(verified.extendedTo === undefined
      ? {}
      : { extendedTo: { origin: verified.extendedTo.origin, size: verified.extendedTo.size } }),
    logKeys: verified.logKeys,
    witnesses: verified.witnesses.map((w) => ({ name: w.name, time: formatSeconds(w.time) })),
    unverifiedSignatures: verified.unverifiedSignatures.map((s) => s.name),
  };
}

/**
 * The one-line summary of what a valid receipt v2 proves (docs/PROOFS.md §13), e.g. `VALID
 * aggregated event 0192… STORE acme sha256:ab…  leaf 3 of 6 of root event 0192… submitted by gw
 * received 2026-…Z  round 42 closed …  checkpoint msi.dev/calendar@43  witnesses: none`.
 */
export function formatAggregatedLine(verified: VerifiedAggregatedReceipt): string {
  const { event, rootReceipt } = verified;
  const root = formatVerifiedLine(rootReceipt);
  const anchoring = root.slice(root.indexOf('  round '));
  return (
    `VALID aggregated event ${formatUuid(event.eventId)}  ${event.kind} ${verified.tenant} ${formatImprint(event.data)}` +
    `  leaf ${verified.leafIndex} of ${verified.leafCount} of root event ${formatUuid(rootReceipt.event.eventId)}` +
    ` submitted by ${verified.submitter} received ${formatMicros(verified.receivedAt)}${anchoring}`
  );
}

/** The machine-readable result of a valid receipt v2 (`--json`): the root receipt's, and the event's own. */
export function aggregatedJson(verified: VerifiedAggregatedReceipt): Record<string, unknown> {
  const { event } = verified;
  return {
    ...verifiedJson(verified.rootReceipt),
    version: 2,
    event: {
      eventId: formatUuid(event.eventId),
      kind: event.kind,
      tenant: verified.tenant,
      data: formatImprint(event.data),
      actor: event.actor,
      submitter: verified.submitter,
      occurredAt: formatMicros(event.occurredAt),
      receivedAt: formatMicros(verified.receivedAt),
    },
    localTree: {
      rootEventId: formatUuid(verified.rootReceipt.event.eventId),
      leafIndex: verified.leafIndex,
      leafCount: verified.leafCount,
      root: Buffer.from(verified.localRoot).toString('hex'),
    },
  };
}

/** The line printed when verification fails: `INVALID <CODE>: <message>`. */
export function formatFailureLine(code: ReceiptFailureCode | string, message: string): string {
  return `INVALID ${code}: ${message}`;
}

/** The machine-readable result of a failed verification (`--json`). */
export function failureJson(code: string, message: string): Record<string, unknown> {
  return { ok: false, code, message };
}

/**
 * The one-line summary of a receipt verified against a publication, with no key, e.g. `VALID event
 * 0192… STORE acme sha256:ab…  round 42 closed 2026-11-25T01:02:03.000000Z  checkpoint
 * msi.dev/calendar@43  extended to @50  published 2026-11-26T00:00:00Z`.
 */
export function formatPublishedLine(verified: VerifiedAgainstPublication): string {
  const { event, round, checkpoint, published } = verified;
  const extended = verified.matchedBy === 'extension' ? `  extended to @${published.size}` : '';
  return (
    `VALID event ${formatUuid(event.eventId)}  ${event.kind} ${event.tenant} ${formatImprint(event.data)}` +
    `  round ${round.round} closed ${formatMicros(round.closedAt)}` +
    `  checkpoint ${checkpoint.origin}@${checkpoint.size}${extended}` +
    `  published ${formatSeconds(verified.publishedAt)}`
  );
}

/** The machine-readable result of a receipt verified against a publication (`--json`). */
export function publishedJson(verified: VerifiedAgainstPublication): Record<string, unknown> {
  const { event, round, checkpoint, published } = verified;
  return {
    ok: true,
    event: {
      eventId: formatUuid(event.eventId),
      kind: event.kind,
      tenant: event.tenant,
      data: formatImprint(event.data),
      actor: event.actor,
      submitter: event.submitter,
      occurredAt: formatMicros(event.occurredAt),
      receivedAt: formatMicros(event.receivedAt),
    },
    round: round.round,
    closedAt: formatMicros(round.closedAt),
    checkpoint: { origin: checkpoint.origin, size: checkpoint.size },
    published: {
      origin: published.origin,
      size: published.size,
      time: formatSeconds(verified.publishedAt),
      matchedBy: verified.matchedBy,
    },
  };
}
