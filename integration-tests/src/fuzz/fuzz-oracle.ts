import { status } from '@grpc/grpc-js';
import { decodeEvent } from '@msi/core';
import { alerterV1, verifierV1 } from '@msi/proto';
import type { RawAnswer } from '@msi/testkit';
import type { FuzzInput } from './fuzz-inputs.js';
import { FUZZ_KEYS } from './fuzz-world.js';

/** What must never happen, whatever a caller sends. */
export type ViolationKind =
  | 'internal' // INTERNAL or UNKNOWN: the server failed where the caller made the mistake
  | 'unnamed' // INVALID_ARGUMENT / OUT_OF_RANGE whose details do not start with the field
  | 'auth-bypass' // OK from a method that needs a key, without a valid one
  | 'isolation'; // a tenant's auditor was answered with another tenant's data

export interface Violation {
  readonly kind: ViolationKind;
  readonly detail: string;
}

/**
 * A refusal names its field first: `events[2].actor: …`, `filter.rule: …`, `requests[3].sequence: …`,
 * an unknown field `#31: …`, or `body: …` when the body as a whole is at fault.
 */
const NAMES_FIELD = /^(body|#\d+|[a-z][a-z0-9_]*)(\[\d+\])?(\.(#\d+|[a-z][a-z0-9_]*)(\[\d+\])?)*: ./;

/** Judges one answer; undefined when nothing is wrong with it. */
export function judge(input: FuzzInput, answer: RawAnswer): Violation | undefined {
  const what = `${input.rpc.path} (${input.origin}, key ${input.key ?? 'none'})`;
  if (answer.code === status.INTERNAL || answer.code === status.UNKNOWN) {
    return { kind: 'internal', detail: `${what}: ${status[answer.code]} ${answer.details}` };
  }
  if (
    (answer.code === status.INVALID_ARGUMENT || answer.code === status.OUT_OF_RANGE) &&
    !NAMES_FIELD.test(answer.details)
  ) {
    return { kind: 'unnamed', detail: `${what}: ${status[answer.code]} ${JSON.stringify(answer.details)}` };
  }
  const caller = FUZZ_KEYS.find((k) => k.key === input.key);
  if (answer.code === status.OK && input.rpc.needsKey && caller === undefined) {
    return { kind: 'auth-bypass', detail: `${what}: OK without a valid key` };
  }
  if (answer.code !== status.OK || caller === undefined || caller.roles.includes('operator'))
    return undefined;
  const foreign = foreignData(input.rpc.path, answer.messages, caller.tenant);
  return foreign === undefined
    ? undefined
    : { kind: 'isolation', detail: `${what}: ${caller.tenant} was shown ${foreign}` };
}

/** The first piece of another tenant's data in an answer to `tenant`'s auditor, described. */
function foreignData(path: string, messages: readonly Buffer[], tenant: string): string | undefined {
  const method = path.slice(path.lastIndexOf('/') + 1);
  const visible = (owner: string, kind: number | string, toTenant: string) =>
    owner === tenant || ((kind === 'TRANSFER' || kind === 1) && toTenant === tenant);
  for (const message of messages) {
    if (method === 'GetReceipt') {
      const receipt = verifierV1.GetReceiptResponse.decode(message).receipt;
      if (receipt === undefined) continue;
      const event = decodeEvent(receipt.event);
      if (!visible(event.tenant, event.kind, event.toTenant)) return `the receipt of ${event.tenant}'s event`;
    } else if (method === 'GetHistory') {
      for (const entry of verifierV1.GetHistoryResponse.decode(message).entries) {
        const e = entry.event;
        if (e !== undefined && !visible(e.tenant, e.kind, e.toTenant))
          return `${e.tenant}'s event in a history`;
      }
    } else if (method === 'ListAlerts') {
      for (const alert of alerterV1.ListAlertsResponse.decode(message).alerts) {
        if (alert.tenant !== tenant) return `${alert.tenant}'s alert ${alert.alertId}`;
      }
    } else if (method === 'WatchAlerts') {
      const alert = alerterV1.WatchAlertsResponse.decode(message).alert;
      if (alert !== undefined && alert.tenant !== tenant) return `${alert.tenant}'s alert ${alert.alertId}`;
    }
  }
  return undefined;
}
