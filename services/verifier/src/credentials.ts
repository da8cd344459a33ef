import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

/** What a credential may do. Reading receipts and histories needs `auditor`. */
export type Role = 'emitter' | 'auditor' | 'operator';
const ROLES: readonly Role[] = ['emitter', 'auditor', 'operator'];

/** Who a credential authenticates: one tenant, one principal, some roles. */
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

const TENANT = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const BEARER = /^Bearer +(\S+) *$/i;

/**
 * API keys the verifier accepts, in the format of ingest's credentials file (API-key entries only:
 * `{ "credentials": [ { "key" | "keySha256", "tenant", "principal", "roles" } ] }`). Keys are kept as
 * SHA-256 digests and compared in constant time.
 */
export class ApiKeys {
  private constructor(private readonly entries: readonly { sha256: Buffer; identity: Identity }[]) {}

  /** Parses the file's text (operator input, checked entry by entry; certificate entries are refused). */
  static fromJson(text: string): ApiKeys {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error: unknown) {
      throw new CredentialsError([`not JSON: ${error instanceof Error ? error.message : String(error)}`]);
    }
    const list = isRecord(parsed) ? parsed.credentials : undefined;
    if (!Array.isArray(list)) throw new CredentialsError(['expected an object with a "credentials" array']);
    const problems: string[] = [];
    const entries: { sha256: Buffer; identity: Identity }[] = [];
    list.forEach((entry: unknown, i) => {
      const at = `credentials[${i}]`;
      if (!isRecord(entry)) {
        problems.push(`${at}: not an object`);
        return;
      }
      const { key, keySha256, tenant, principal, roles } = entry;
      if (typeof tenant !== 'string' || !TENANT.test(tenant)) problems.push(`${at}.tenant: invalid tenant`);
      if (typeof principal !== 'string' || principal === '')
        problems.push(`${at}.principal: must be non-empty`);
      if (!Array.isArray(roles) || roles.some((r) => !(ROLES as readonly unknown[]).includes(r))) {
        problems.push(`${at}.roles: must be an array of ${ROLES.join(', ')}`);
      }
      let sha256: Buffer | undefined;
      if (typeof key === 'string' && key !== '' && keySha256 === undefined) sha256 = sha256Of(key);
      else if (typeof keySha256 === 'string' && HEX_SHA256.test(keySha256) && key === undefined) {
        sha256 = Buffer.from(keySha256, 'hex');
      } else if (entry.certSha256 !== undefined || entry.certSubjectCn !== undefined) {
        return; // certificate entries are for ingest's mTLS; the verifier takes API keys only
      } else problems.push(`${at}: needs exactly one of key, keySha256 (64 hex digits)`);
      if (sha256 === undefined || problems.length > 0) return;
      entries.push({
        sha256,
        identity: {
          tenant: tenant as string,
          principal: principal as string,
          roles: new Set(roles as Role[]),
        },
      });
    });
    if (problems.length > 0) throw new CredentialsError(problems);
    return new ApiKeys(entries);
  }

  /** The identity of an API key (hostile input: hashed, then compared with every digest). */
  byApiKey(key: string): Identity | undefined {
    const digest = sha256Of(key);
    let found: Identity | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.sha256, digest) && found === undefined) found = entry.identity;
    }
    return found;
  }

  /** The identity of a call's `authorization: Bearer <key>` metadata (hostile input), or undefined. */
  authenticate(metadata: Metadata): Identity | undefined {
    const values = metadata.get('authorization');
    const value = values[0];
    if (values.length !== 1 || typeof value !== 'string') return undefined;
    const match = BEARER.exec(value);
    return match?.[1] === undefined ? undefined : this.byApiKey(match[1]);
  }

  get size(): number {
    return this.entries.length;
  }
}

function sha256Of(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
