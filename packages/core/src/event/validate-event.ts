import { MAX_U64, utf8Length } from '../encoding/index.js';
import { checkImprint, type Imprint } from '../imprint/index.js';
import { formatUuid, isUuidV7 } from '../uuid/index.js';
import { type Attribute, type DataEvent, type Endpoint, EVENT_LIMITS, isEventKind } from './data-event.js';
import { EventError, type EventErrorCode } from './event-error.js';
import { endpointFieldNames, listItemName } from './field-names.js';

const TENANT = /^[a-z0-9][a-z0-9._-]*$/;
const ATTRIBUTE_KEY = /^[A-Za-z0-9._:-]+$/;

function fail(code: EventErrorCode, field: string, problem: string): never {
  throw new EventError(code, field, `${field}: ${problem}`);
}

/**
 * The fields of an event the client chooses: everything but the three that ingest stamps (`tenant`,
 * `submitter`, `received_at`). A locally aggregated event (docs/PROOFS.md §12) has only these.
 */
export type EventClaims = Omit<DataEvent, 'tenant' | 'submitter' | 'receivedAt'>;

/**
 * Checks every rule of canonical event v1 (docs/PROOFS.md §4) on a domain event, in field order, and
 * throws EventError for the first broken one, naming the field (snake_case path). Attribute paths
 * index `event.attributes` as given (not sorted). Does not check attribute order (encodeEvent sorts).
 */
export function validateEvent(event: DataEvent): void {
  checkEventFields(event, event);
}

/**
 * The rules of §4 on the client's fields of `event`, in field order, and, when `stamp` is given, on
 * the stamped fields too, each in its place in the canonical order (tenant first, submitter after
 * actor, received_at after occurred_at). Throws EventError for the first broken rule.
 */
export function checkEventFields(
  event: EventClaims,
  stamp: Pick<DataEvent, 'tenant' | 'submitter' | 'receivedAt'> | undefined,
): void {
  if (stamp !== undefined) checkTenant('tenant', stamp.tenant);
  checkUuid('event_id', event.eventId);
  if (!isEventKind(event.kind)) fail('KIND_INVALID', 'kind', 'not one of the six kinds');
  checkImprintField('data', event.data);
  checkImprints('inputs', event.inputs, event.kind === 'PROCESS');
  checkImprints('outputs', event.outputs, event.kind === 'PROCESS');
  if (event.kind === 'TRANSFER' && event.toTenant !== '') checkTenant('to_tenant', event.toTenant);
  if (event.kind !== 'TRANSFER' && event.toTenant !== '') {
    fail('KIND_MISMATCH', 'to_tenant', `must be empty for kind ${event.kind}`);
  }
  checkText('actor', event.actor, 1, EVENT_LIMITS.maxPrincipalBytes);
  if (stamp !== undefined) checkText('submitter', stamp.submitter, 1, EVENT_LIMITS.maxPrincipalBytes);
  checkEndpoint('source', event.source);
  checkEndpoint('destination', event.destination);
  checkTime('occurred_at', event.occurredAt);
  if (stamp !== undefined) checkTime('received_at', stamp.receivedAt);
  checkParents(event.parents);
  checkAttributes(event.attributes);
  if (event.nonce.length !== EVENT_LIMITS.nonceBytes) {
    fail('LENGTH_INVALID', 'nonce', `has ${event.nonce.length} bytes, want ${EVENT_LIMITS.nonceBytes}`);
  }
}

function checkTenant(field: string, tenant: string): void {
  if (tenant.length < 1 || tenant.length > EVENT_LIMITS.maxTenantBytes || !TENANT.test(tenant)) {
    fail('TENANT_INVALID', field, 'not 1-64 bytes of [a-z0-9._-] starting with a letter or digit');
  }
}

function checkUuid(field: string, uuid: Uint8Array): void {
  if (!isUuidV7(uuid)) fail('UUID_INVALID', field, 'not a UUIDv7');
}

function checkImprintField(field: string, imprint: Imprint): void {
  try {
    checkImprint(imprint);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new EventError('IMPRINT_INVALID', field, `${field}: ${detail}`, { cause });
  }
}

/** inputs / outputs: required (1–64) when `required`, else empty. */
function checkImprints(field: string, imprints: readonly Imprint[], required: boolean): void {
  if (required && imprints.length === 0) fail('KIND_MISMATCH', field, 'PROCESS needs at least one');
  if (!required && imprints.length !== 0) fail('KIND_MISMATCH', field, 'must be empty unless PROCESS');
  checkCount(field, imprints.length);
  for (const [i, imprint] of imprints.entries()) checkImprintField(listItemName(field, i), imprint);
}

function checkCount(field: string, count: number): void {
  if (count > EVENT_LIMITS.maxListItems) {
    fail('TOO_MANY', field, `has ${count} items, at most ${EVENT_LIMITS.maxListItems}`);
  }
}

/** A well-formed string of `min`–`max` UTF-8 bytes. */
function checkText(field: string, text: string, min: number, max: number): void {
  const length = utf8Length(text);
  if (length === undefined || text.charCodeAt(0) === 0xfeff) {
    fail('TEXT_INVALID', field, 'not well-formed text (lone surrogate or leading BOM)');
  }
  if (length < min || length > max) fail('LENGTH_INVALID', field, `has ${length} bytes, want ${min}-${max}`);
}

function checkEndpoint(field: string, endpoint: Endpoint): void {
  const [system, region, host] = endpointFieldNames(field);
  checkText(system, endpoint.system, 0, EVENT_LIMITS.maxEndpointBytes);
  checkText(region, endpoint.region, 0, EVENT_LIMITS.maxEndpointBytes);
  checkText(host, endpoint.host, 0, EVENT_LIMITS.maxEndpointBytes);
}

function checkTime(field: string, microseconds: number): void {
  if (!Number.isInteger(microseconds) || microseconds < 1 || microseconds > MAX_U64) {
    fail('TIME_INVALID', field, 'not an integer number of microseconds in [1, 2^53 - 1]');
  }
}

function checkParents(parents: readonly Uint8Array[]): void {
  checkCount('parents', parents.length);
  const seen = new Set<string>();
  parents.forEach((parent, i) => {
    checkUuid(listItemName('parents', i), parent);
    const id = formatUuid(parent);
    if (seen.has(id)) fail('DUPLICATE', `parents[${i}]`, `repeats ${id}`);
    seen.add(id);
  });
}

function checkAttributes(attributes: readonly Attribute[]): void {
  checkCount('attributes', attributes.length);
  // At most 64 attributes (checkCount): a repeat is found by comparing with those before, which
  // costs less than a Set for the few an event has; field paths are made only for an error.
  for (let i = 0; i < attributes.length; i += 1) {
    const { key, value } = attributes[i] as Attribute;
    if (key.length < 1 || key.length > EVENT_LIMITS.maxAttributeKeyBytes || !ATTRIBUTE_KEY.test(key)) {
      fail('KEY_INVALID', `attributes[${i}].key`, 'not 1-64 bytes of [A-Za-z0-9._:-]');
    }
    for (let j = 0; j < i; j += 1) {
      if ((attributes[j] as Attribute).key === key)
        fail('DUPLICATE', `attributes[${i}].key`, `repeats key ${key}`);
    }
    const length = utf8Length(value);
    if (
      length === undefined ||
      value.charCodeAt(0) === 0xfeff ||
      length > EVENT_LIMITS.maxAttributeValueBytes
    ) {
      checkText(`attributes[${i}].value`, value, 0, EVENT_LIMITS.maxAttributeValueBytes); // throws
    }
  }
}
