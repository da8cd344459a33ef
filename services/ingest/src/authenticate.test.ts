import type { PeerCertificate } from 'node:tls';
import { Metadata } from '@grpc/grpc-js';
import { CredentialStore } from '@msi/service-kit';
import { describe, expect, it } from 'vitest';
import { authenticate, hasRole } from './authenticate.js';

const store = CredentialStore.fromJson(
  JSON.stringify({
    credentials: [
      { key: 'k1', tenant: 'acme', principal: 'etl', roles: ['emitter'] },
      { certSubjectCn: 'agent-7', tenant: 'initech', principal: 'agent-7', roles: ['auditor'] },
    ],
  }),
);

const metadata = (...values: string[]) => {
  const m = new Metadata();
  for (const value of values) m.add('authorization', value);
  return m;
};
const certificate = (cn: string) => ({
  sslPeerCertificate: { raw: Buffer.from(cn), subject: { CN: cn } } as PeerCertificate,
});

describe('authenticate', () => {
  it('accepts a bearer API key, case-insensitively in the scheme', () => {
    for (const value of ['Bearer k1', 'bearer k1', 'Bearer   k1 ']) {
      const result = authenticate(metadata(value), null, store);
      expect(result.ok && result.identity.principal).toBe('etl');
    }
  });

  it('names why a call does not authenticate', () => {
    expect(authenticate(metadata(), null, store)).toEqual({ ok: false, reason: 'missing_credentials' });
    expect(authenticate(metadata('Basic k1'), null, store)).toEqual({
      ok: false,
      reason: 'malformed_authorization',
    });
    expect(authenticate(metadata('Bearer a b'), null, store)).toEqual({
      ok: false,
      reason: 'malformed_authorization',
    });
    expect(authenticate(metadata('Bearer k1', 'Bearer k1'), null, store)).toEqual({
      ok: false,
      reason: 'malformed_authorization',
    });
    expect(authenticate(metadata('Bearer k2'), null, store)).toEqual({
      ok: false,
      reason: 'unknown_api_key',
    });
    expect(authenticate(metadata(), certificate('agent-8'), store)).toEqual({
      ok: false,
      reason: 'unknown_client_certificate',
    });
  });

  it('uses a verified client certificate when no key is given; a key takes precedence', () => {
    const byCert = authenticate(metadata(), certificate('agent-7'), store);
    expect(byCert.ok && byCert.identity.tenant).toBe('initech');
    const byKey = authenticate(metadata('Bearer k1'), certificate('agent-7'), store);
    expect(byKey.ok && byKey.identity.tenant).toBe('acme');
    expect(authenticate(metadata(), {}, store)).toEqual({ ok: false, reason: 'missing_credentials' });
  });

  it('checks roles', () => {
    const result = authenticate(metadata(), certificate('agent-7'), store);
    if (!result.ok) throw new Error('unreachable');
    expect(hasRole(result.identity, 'auditor')).toBe(true);
    expect(hasRole(result.identity, 'emitter')).toBe(false);
  });
});
