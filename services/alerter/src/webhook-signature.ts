import { CodedError } from '@msi/core';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256>` (one v1 entry per active secret). */
export const WEBHOOK_SIGNATURE_HEADER = 'msi-signature';
/** Header carrying the id of the alert in the body (the receiver's idempotency key). */
export const WEBHOOK_ALERT_ID_HEADER = 'msi-alert-id';
/** Header carrying the 1-based attempt number of this POST. */
export const WEBHOOK_ATTEMPT_HEADER = 'msi-delivery-attempt';
/** How far (seconds) a signature's timestamp may be from the receiver's clock, by default. */
export const DEFAULT_SIGNATURE_TOLERANCE_S = 300;

/** Why a signature could not be produced. */
export type WebhookSignatureErrorCode = 'EMPTY_SECRET' | 'BAD_TIMESTAMP';

export class WebhookSignatureError extends CodedError<WebhookSignatureErrorCode> {
  override readonly name = 'WebhookSignatureError';
}

const MAX_HEADER_LENGTH = 4096;
const TIMESTAMP = /^[0-9]{1,12}$/;
const V1 = /^[0-9a-f]{64}$/;

/**
 * The signature header value for `body` sent at `timestampS`:
 * `t=<timestampS>,v1=<hex HMAC-SHA256(secret, "<timestampS>.<body>")>`, secret and message UTF-8 encoded.
 * Several secrets (rotation) give one `v1=` entry each, in order. `timestampS` is a non-negative integer.
 */
export function signWebhook(secret: string | readonly string[], timestampS: number, body: string): string {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0 || secrets.some((s) => s.length === 0)) {
    throw new WebhookSignatureError('EMPTY_SECRET', 'a webhook secret must not be empty');
  }
  if (!Number.isSafeInteger(timestampS) || timestampS < 0 || !TIMESTAMP.test(String(timestampS))) {
    throw new WebhookSignatureError('BAD_TIMESTAMP', `timestamp ${timestampS} is not whole unix seconds`);
  }
  const entries = secrets.map((s) => `v1=${bytesToHex(signatureBytes(s, timestampS, body))}`);
  return [`t=${timestampS}`, ...entries].join(',');
}

/**
 * True when `header` carries a timestamp within `toleranceS` of `nowS` and at least one `v1=` entry
 * equal to HMAC-SHA256(secret, "<t>.<body>"). Malformed headers, stale (or far-future) timestamps and an
 * empty secret give false. Entries with other scheme names are ignored (room for a future v2).
 */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  nowS: number,
  toleranceS = DEFAULT_SIGNATURE_TOLERANCE_S,
): boolean {
  if (secret.length === 0) return false;
  const parsed = parseSignatureHeader(header);
  if (parsed === undefined || !(Math.abs(nowS - parsed.timestampS) <= toleranceS)) return false;
  const expected = signatureBytes(secret, parsed.timestampS, body);
  let matched = false;
  for (const candidate of parsed.signatures) {
    matched = constantTimeEqual(candidate, expected) || matched;
  }
  return matched;
}

interface ParsedSignatureHeader {
  readonly timestampS: number;
  readonly signatures: readonly Uint8Array[];
}

/** The header comes from the network: attacker-controlled, so anything unexpected is "no signature". */
function parseSignatureHeader(header: string): ParsedSignatureHeader | undefined {
  if (header.length > MAX_HEADER_LENGTH) return undefined;
  let timestamp: string | undefined;
  const signatures: Uint8Array[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !TIMESTAMP.test(value)) return undefined;
      timestamp = value;
    } else if (key === 'v1') {
      if (!V1.test(value)) return undefined;
      signatures.push(hexToBytes(value));
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestampS: Number(timestamp), signatures };
}

function signatureBytes(secret: string, timestampS: number, body: string): Uint8Array {
  return hmac(sha256, utf8ToBytes(secret), utf8ToBytes(`${timestampS}.${body}`));
}

/** Compares without an early exit, so the time taken does not reveal the length of a matching prefix. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
