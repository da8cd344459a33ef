import { CodedError } from '@msi/core';

/** Why a monitor's record was not turned into an event. */
export type AdapterErrorCode = 'NOT_JSON' | 'NOT_A_RECORD' | 'UNSUPPORTED';

export class AdapterError extends CodedError<AdapterErrorCode> {
  override readonly name = 'AdapterError';
}

const MAX_VALUE_BYTES = 256;

/** A record's fields: a JSON object, or AdapterError (a log line is untrusted input); `what`: "an osquery". */
export function parseRecord(line: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new AdapterError('NOT_JSON', `not ${what} record: the line is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AdapterError('NOT_A_RECORD', `not ${what} record: want a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** A member as text (strings as they are, numbers written out), or undefined. */
export function textOf(
  record: Readonly<Record<string, unknown>> | undefined,
  key: string,
): string | undefined {
  const value = record?.[key];
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A nested object member, or undefined. */
export function objectOf(
  record: Readonly<Record<string, unknown>>,
  key: string,
): Record<string, unknown> | undefined {
  const value = record[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Attributes from optional values: absent ones left out, each cut to 256 bytes of UTF-8. */
export function attributesOf(values: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) out[key] = cut(value);
  return out;
}

function cut(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= MAX_VALUE_BYTES) return value;
  // whole characters only: drop a cut multi-byte sequence's remains
  return bytes
    .subarray(0, MAX_VALUE_BYTES)
    .toString('utf8')
    .replace(/\uFFFD+$/u, '');
}
