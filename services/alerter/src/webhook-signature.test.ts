import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature, WebhookSignatureError } from './webhook-signature.js';

// Known answers computed independently of this code with OpenSSL 3.0:
//   printf '%s' '1700000000.{"alertId":"a1","severity":"critical"}' | openssl dgst -sha256 -hmac 'whsec_test'
//   printf '%s' '1700000000.{"msg":"dépassé ✓"}' | openssl dgst -sha256 -hmac 'clé'     (UTF-8 terminal)
const T = 1_700_000_000;
const BODY = '{"alertId":"a1","severity":"critical"}';
const SECRET = 'whsec_test';
const KNOWN = 'e4bce1c519654bb80ab19373234b288413e57e4f1c5e24116d36da0ee3364c58';
const UNICODE_BODY = '{"msg":"dépassé ✓"}';
const UNICODE_KNOWN = '907f76400f06400ed58d3da250fc558eda7cc0959b52c06fa744aea895638858';

describe('signWebhook', () => {
  it('matches the OpenSSL known answers (ASCII and UTF-8 secret and body)', () => {
    expect(signWebhook(SECRET, T, BODY)).toBe(`t=${T},v1=${KNOWN}`);
    expect(signWebhook('clé', T, UNICODE_BODY)).toBe(`t=${T},v1=${UNICODE_KNOWN}`);
  });

  it('emits one v1 entry per secret, in order, for rotation', () => {
    const header = signWebhook(['new-secret', SECRET], T, BODY);
    expect(header.split(',')).toHaveLength(3);
    expect(header.endsWith(`,v1=${KNOWN}`)).toBe(true);
    expect(verifyWebhookSignature('new-secret', header, BODY, T)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, BODY, T)).toBe(true);
  });

  it('refuses an empty secret and a timestamp that is not whole non-negative seconds', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (error: unknown) {
        return error instanceof WebhookSignatureError ? error.code : 'OTHER';
      }
      return 'NONE';
    };
    expect(codeOf(() => signWebhook('', T, BODY))).toBe('EMPTY_SECRET');
    expect(codeOf(() => signWebhook([], T, BODY))).toBe('EMPTY_SECRET');
    expect(codeOf(() => signWebhook(SECRET, 1.5, BODY))).toBe('BAD_TIMESTAMP');
    expect(codeOf(() => signWebhook(SECRET, -1, BODY))).toBe('BAD_TIMESTAMP');
    expect(codeOf(() => signWebhook(SECRET, Number.NaN, BODY))).toBe('BAD_TIMESTAMP');
  });
});

describe('verifyWebhookSignature', () => {
  const header = `t=${T},v1=${KNOWN}`;

  it('accepts the known answer within the tolerance on either side', () => {
    expect(verifyWebhookSignature(SECRET, header, BODY, T)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, BODY, T + 300)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, BODY, T - 300)).toBe(true);
    expect(verifyWebhookSignature(SECRET, ` t=${T} , v1=${KNOWN} `, BODY, T)).toBe(true);
  });

  it('rejects a tampered body, a wrong secret and an empty secret', () => {
    expect(verifyWebhookSignature(SECRET, header, BODY.replace('critical', 'info'), T)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, `${BODY} `, T)).toBe(false);
    expect(verifyWebhookSignature('whsec_other', header, BODY, T)).toBe(false);
    expect(verifyWebhookSignature('', header, BODY, T)).toBe(false);
  });

  it('rejects stale and far-future timestamps, and a timestamp moved to a fresh value', () => {
    expect(verifyWebhookSignature(SECRET, header, BODY, T + 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, BODY, T - 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, BODY, T + 1000, 60)).toBe(false);
    expect(verifyWebhookSignature(SECRET, `t=${T + 1000},v1=${KNOWN}`, BODY, T + 1000)).toBe(false);
  });

  it('accepts a header when any v1 entry matches, ignoring unknown schemes', () => {
    const other = '0'.repeat(64);
    expect(verifyWebhookSignature(SECRET, `t=${T},v1=${other},v1=${KNOWN}`, BODY, T)).toBe(true);
    expect(verifyWebhookSignature(SECRET, `t=${T},v0=zz,v1=${KNOWN}`, BODY, T)).toBe(true);
    expect(verifyWebhookSignature(SECRET, `t=${T},v1=${other}`, BODY, T)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['no timestamp', `v1=${KNOWN}`],
    ['no v1 entry', `t=${T}`],
    ['two timestamps', `t=${T},t=${T},v1=${KNOWN}`],
    ['non-numeric timestamp', `t=17e8,v1=${KNOWN}`],
    ['negative timestamp', `t=-${T},v1=${KNOWN}`],
    ['uppercase hex', `t=${T},v1=${KNOWN.toUpperCase()}`],
    ['truncated hex', `t=${T},v1=${KNOWN.slice(0, 63)}`],
    ['trailing hex', `t=${T},v1=${KNOWN}00`],
    ['a part without =', `t=${T},v1=${KNOWN},garbage`],
    ['an empty part', `t=${T},,v1=${KNOWN}`],
    ['oversized', `t=${T},v1=${KNOWN},x=${'a'.repeat(5000)}`],
  ])('rejects a malformed header: %s', (_name, bad) => {
    expect(verifyWebhookSignature(SECRET, bad, BODY, T)).toBe(false);
  });
});
