import { createHash, timingSafeEqual } from 'node:crypto';
import { fromFile } from './config-reader.js';

/** What a credential may do. Submitting events needs `emitter`. */
export type Role = 'emitter' | 'auditor' | 'operator';
const ROLES: readonly Role[] = ['emitter', 'auditor', 'operator'];

/** Who a credential authenticates: one tenant, one principal (the events' submitter), some roles. */
export interface Identity {
  readonly tenant: string;
  readonly principal: string;
  readonly roles: ReadonlySet<Role>;
}

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid credentials file:\n  - ${problems.join('\n  - ')}`);
  }
}

interface KeyEntry {
  readonly sha256: Buffer;
  readonly identity: Identity;
}

// Mirrors the tenant rule of canonical event v1 (docs/PROOFS.md §4); validateEvent checks it again.
const TENANT = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const MAX_PRINCIPAL_BYTES = 256;

/**
 * The credentials ingest accepts, loaded from the JSON file named by MSI_INGEST_CREDENTIALS_FILE:
 *
 *   { "credentials": [
 *       { "keySha256": "<hex SHA-256 of the API key>", "tenant": "acme", "principal": "etl", "roles": ["emitter"] },
 *       { "key": "<API key in clear, dev only>", ... },
 *       { "certSha256": "<hex SHA-256 of the client certificate, DER>", ... },
 *       { "certSubjectCn": "<subject CN of a certificate issued by MSI_INGEST_CLIENT_CA>", ... } ] }
 *
 * Each entry has exactly one of key / keySha256 / certSha256 / certSubjectCn. API keys are kept only
 * as SHA-256 digests and compared in constant time.
 */
export class CredentialStore {
  readonly #keys: readonly KeyEntry[];
  readonly #certFingerprints: ReadonlyMap<string, Identity>;
  readonly #certSubjects: ReadonlyMap<string, Identity>;

  private constructor(
    keys: readonly KeyEntry[],
    certFingerprints: ReadonlyMap<string, Identity>,
    certSubjects: ReadonlyMap<string, Identity>,
  ) {
    this.#keys = keys;
    this.#certFingerprints = certFingerprints;
    this.#certSubjects = certSubjects;
  }

  /**
   * The credentials of the file a variable names (none when it is unset): an unreadable or invalid
   * file is a ConfigError naming the variable.
   */
  static fromFileOf(variable: string, path: string | undefined): CredentialStore {
    if (path === undefined) return CredentialStore.fromJson('{"credentials":[]}');
    return fromFile(variable, path, (text) => CredentialStore.fromJson(text));
  }

  /** Parses the file's text (trusted operator input, still checked field by field). */
  static fromJson(text: string): CredentialStore {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error: unknown) {
      throw new CredentialsError([`not JSON: ${error instanceof Error ? error.message : String(error)}`]);
    }
    const list = isRecord(parsed) ? parsed.credentials : undefined;
    if (!Array.isArray(list)) throw new CredentialsError(['expected an object with a "credentials" array']);
    const problems: string[] = [];
    const keys: KeyEntry[] = [];
    const fingerprints = new Map<string, Identity>();
    const subjects = new Map<string, Identity>();
    const seenKeys = new Set<string>();
    list.forEach((entry: unknown, i) => {
      const at = `credentials[${i}]`;
      if (!isRecord(entry)) {
        problems.push(`${at}: not an object`);
        return;
      }
      const identity = readIdentity(entry, at, problems);
      const selectors = ['key', 'keySha256', 'certSha256', 'certSubjectCn'].filter(
        (k) => entry[k] !== undefined,
      );
      if (selectors.length !== 1) {
        problems.push(`${at}: needs exactly one of key, keySha256, certSha256, certSubjectCn`);
        return;
      }
      const selector = selectors[0] as 'key' | 'keySha256' | 'certSha256' | 'certSubjectCn';
      const value = entry[selector];
      if (typeof value !== 'string' || value === '') {
        problems.push(`${at}.${selector}: must be a non-empty string`);
        return;
      }
      if ((selector === 'keySha256' || selector === 'certSha256') && !HEX_SHA256.test(value)) {
        problems.push(`${at}.${selector}: must be 64 hex digits`);
        return;
      }
      if (identity === undefined) return;
      if (selector === 'key' || selector === 'keySha256') {
        const sha256 = selector === 'key' ? sha256Of(value) : Buffer.from(value, 'hex');
        const hex = sha256.toString('hex');
        if (seenKeys.has(hex)) problems.push(`${at}: the same API key appears twice`);
        seenKeys.add(hex);
        keys.push({ sha256, identity });
      } else if (selector === 'certSha256') {
        const hex = value.toLowerCase();
        if (fingerprints.has(hex)) problems.push(`${at}: the same certificate appears twice`);
        fingerprints.set(hex, identity);
      } else {
        if (subjects.has(value)) problems.push(`${at}: the same certificate subject appears twice`);
        subjects.set(value, identity);
      }
    });
    if (problems.length > 0) throw new CredentialsError(problems);
    return new CredentialStore(keys, fingerprints, subjects);
  }

  /**
   * The identity of an API key, or undefined. `key` is hostile input: it is hashed first, and the
   * digest is compared with every configured digest in constant time (no early exit).
   */
  byApiKey(key: string): Identity | undefined {
    const digest = sha256Of(key);
    let found: Identity | undefined;
    for (const entry of this.#keys) {
      if (timingSafeEqual(entry.sha256, digest) && found === undefined) found = entry.identity;
    }
    return found;
  }

  /**
   * The identity of a client certificate that TLS already verified against the client CA: by its
   * SHA-256 fingerprint (DER) first, then by its subject CN.
   */
  byCertificate(der: Uint8Array, subjectCn: string | undefined): Identity | undefined {
    const fingerprint = createHash('sha256').update(der).digest('hex');
    return (
      this.#certFingerprints.get(fingerprint) ??
      (subjectCn === undefined ? undefined : this.#certSubjects.get(subjectCn))
    );
  }

  /** How many credentials of each kind are configured (for the start-up log line). */
  counts(): { apiKeys: number; certificates: number; subjects: number } {
    return {
      apiKeys: this.#keys.length,
      certificates: this.#certFingerprints.size,
      subjects: this.#certSubjects.size,
    };
  }
}

function readIdentity(entry: Record<string, unknown>, at: string, problems: string[]): Identity | undefined {
  const { tenant, principal, roles } = entry;
  const before = problems.length;
  if (typeof tenant !== 'string' || !TENANT.test(tenant)) {
    problems.push(`${at}.tenant: must be 1-64 chars of [a-z0-9._-] starting with a letter or digit`);
  }
  if (
    typeof principal !== 'string' ||
    principal === '' ||
    Buffer.byteLength(principal, 'utf8') > MAX_PRINCIPAL_BYTES ||
    Buffer.from(principal, 'utf8').toString('utf8') !== principal // a lone surrogate does not survive
  ) {
    problems.push(`${at}.principal: must be 1-${MAX_PRINCIPAL_BYTES} bytes of well-formed text`);
  }
  if (!Array.isArray(roles) || roles.some((role) => !(ROLES as readonly unknown[]).includes(role))) {
    problems.push(`${at}.roles: must be an array of ${ROLES.join(', ')}`);
  }
  if (problems.length > before) return undefined;
  return { tenant: tenant as string, principal: principal as string, roles: new Set(roles as Role[]) };
}

function sha256Of(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * The API key in a call's `authorization: Bearer <key>` metadata (hostile input): `undefined` when
 * there is no authorization header, `null` when there is one but it is not exactly one well-formed
 * bearer value.
 */
export function bearerKey(values: readonly unknown[]): string | null | undefined {
  if (values.length === 0) return undefined;
  const value = values[0];
  const match = values.length === 1 && typeof value === 'string' ? BEARER.exec(value) : null;
  return match?.[1] ?? null;
}

/** Why a call's API key did not authenticate (SecurityEvent.reason). */
export type ApiKeyFailure = 'missing_credentials' | 'malformed_authorization' | 'unknown_api_key';

/** The identity of a call's `authorization: Bearer <key>` metadata (hostile input), or why not. */
export function authenticateApiKey(
  store: CredentialStore,
  metadata: { get(key: string): readonly unknown[] },
):
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly reason: ApiKeyFailure } {
  const key = bearerKey(metadata.get('authorization'));
  if (key === undefined) return { ok: false, reason: 'missing_credentials' };
  if (key === null) return { ok: false, reason: 'malformed_authorization' };
  const identity = store.byApiKey(key);
  return identity === undefined ? { ok: false, reason: 'unknown_api_key' } : { ok: true, identity };
}
