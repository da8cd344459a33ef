import type { PeerCertificate } from 'node:tls';
import type { Metadata } from '@grpc/grpc-js';
import { bearerKey, type CredentialStore, type Identity, type Role } from '@msi/service-kit';

/** Short machine-readable reasons, published in SecurityEvent.reason. */
export type AuthFailureReason =
  | 'missing_credentials'
  | 'malformed_authorization'
  | 'unknown_api_key'
  | 'unknown_client_certificate'
  | 'missing_role'
  | 'tenant_mismatch';

export type AuthResult =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly reason: AuthFailureReason };

/** What grpc-js's call.getAuthContext() gives (its AuthContext type is not exported). */
export interface PeerAuthContext {
  /** Present only when TLS verified the client's certificate chain against the client CA. */
  readonly sslPeerCertificate?: PeerCertificate | undefined;
}

/**
 * Authenticates a call: the `authorization: Bearer <key>` metadata when present (it takes
 * precedence), else a client certificate that TLS verified against the client CA. Metadata is
 * hostile input; a key is only ever compared through CredentialStore.byApiKey.
 */
export function authenticate(
  metadata: Metadata,
  authContext: PeerAuthContext | null,
  store: CredentialStore,
): AuthResult {
  const key = bearerKey(metadata.get('authorization'));
  if (key !== undefined) {
    if (key === null) return { ok: false, reason: 'malformed_authorization' };
    const identity = store.byApiKey(key);
    return identity === undefined ? { ok: false, reason: 'unknown_api_key' } : { ok: true, identity };
  }
  const certificate = authContext?.sslPeerCertificate;
  if (certificate?.raw !== undefined) {
    const cn = certificate.subject?.CN;
    const identity = store.byCertificate(certificate.raw, typeof cn === 'string' ? cn : undefined);
    return identity === undefined
      ? { ok: false, reason: 'unknown_client_certificate' }
      : { ok: true, identity };
  }
  return { ok: false, reason: 'missing_credentials' };
}

/** Whether an identity holds a role. */
export function hasRole(identity: Identity, role: Role): boolean {
  return identity.roles.has(role);
}
