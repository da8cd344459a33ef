import { Metadata, status } from '@grpc/grpc-js';
import { streamV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import type { Identity, Role } from './credentials.js';
import { SecurityReporter } from './security-reporter.js';
import { UndecodableRequest } from './strict-service.js';
import { undecodableRefusal } from './undecodable-refusal.js';

const identity: Identity = { tenant: 'acme', principal: 'audit', roles: new Set<Role>(['auditor']) };
const call = (path: string) => ({
  metadata: new Metadata(),
  getPeer: () => 'ipv4:10.0.0.7:5000',
  getPath: () => path,
  getAuthContext: () => ({}),
});
const request = new UndecodableRequest({ field: 'events[2].actor', message: 'not valid UTF-8' });

function refusal(authenticated: boolean) {
  const sent: streamV1.SecurityEvent[] = [];
  const security = new SecurityReporter({
    service: 'verifier',
    send: (payload) => sent.push(streamV1.SecurityEvent.decode(payload)),
    nowMs: () => 1_764_000_000_000,
    perSecond: 10,
  });
  const refuse = undecodableRefusal({
    authenticate: () => (authenticated ? { ok: true, identity } : { ok: false, reason: 'unknown_api_key' }),
    security,
    publicMethods: new Set(['/s.v1.S/Public']),
  });
  return { refuse, sent };
}

describe('undecodableRefusal', () => {
  it('is UNAUTHENTICATED before the caller authenticates, reported with the reason', () => {
    const { refuse, sent } = refusal(false);
    expect(refuse(call('/s.v1.S/Private'), request).code).toBe(status.UNAUTHENTICATED);
    expect(sent.map((e) => [e.kind, e.reason, e.method])).toEqual([
      [streamV1.SecurityEventKind.SECURITY_EVENT_KIND_UNAUTHENTICATED, 'unknown_api_key', '/s.v1.S/Private'],
    ]);
  });

  it('is INVALID_ARGUMENT naming the field once authenticated, or at once on a public method', () => {
    for (const [authenticated, path, principal] of [
      [true, '/s.v1.S/Private', 'audit'],
      [false, '/s.v1.S/Public', ''],
    ] as const) {
      const { refuse, sent } = refusal(authenticated);
      expect(refuse(call(path), request)).toEqual({
        code: status.INVALID_ARGUMENT,
        details: 'events[2].actor: not valid UTF-8',
      });
      expect(sent.map((e) => [e.kind, e.reason, e.principal, e.service])).toEqual([
        [
          streamV1.SecurityEventKind.SECURITY_EVENT_KIND_MALFORMED_REQUEST,
          'undecodable_request',
          principal,
          'verifier',
        ],
      ]);
    }
  });
});
