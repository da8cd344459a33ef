import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearerKey, CredentialStore, CredentialsError } from './credentials.js';

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const der = Buffer.from('a DER certificate, as far as this test cares');

const store = CredentialStore.fromJson(
  JSON.stringify({
    credentials: [
      { keySha256: sha256('hashed-key'), tenant: 'acme', principal: 'etl', roles: ['emitter'] },
      { key: 'plain-key', tenant: 'acme', principal: 'auditor', roles: ['auditor'] },
      {
        certSha256: sha256(der).toUpperCase(),
        tenant: 'globex',
        principal: 'gw',
        roles: ['emitter', 'operator'],
      },
      { certSubjectCn: 'agent-7', tenant: 'initech', principal: 'agent-7', roles: ['emitter'] },
    ],
  }),
);

function problemsOf(value: unknown): string[] {
  try {
    CredentialStore.fromJson(typeof value === 'string' ? value : JSON.stringify(value));
  } catch (error: unknown) {
    if (error instanceof CredentialsError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a CredentialsError');
}

describe('CredentialStore', () => {
  it('finds API keys stored as SHA-256 or in clear', () => {
    expect(store.byApiKey('hashed-key')).toMatchObject({ tenant: 'acme', principal: 'etl' });
    expect([...(store.byApiKey('hashed-key')?.roles ?? [])]).toEqual(['emitter']);
    expect(store.byApiKey('plain-key')?.principal).toBe('auditor');
    expect(store.byApiKey('plain-key ')).toBeUndefined();
    expect(store.byApiKey('')).toBeUndefined();
  });

  it('finds certificates by fingerprint first, then by subject CN', () => {
    expect(store.byCertificate(der, 'agent-7')?.principal).toBe('gw');
    expect(store.byCertificate(Buffer.from('other'), 'agent-7')?.tenant).toBe('initech');
    expect(store.byCertificate(Buffer.from('other'), 'agent-8')).toBeUndefined();
    expect(store.byCertificate(Buffer.from('other'), undefined)).toBeUndefined();
    expect(store.counts()).toEqual({ apiKeys: 2, certificates: 1, subjects: 1 });
  });

  it.each([
    ['not JSON', '{', 'not JSON'],
    ['no list', { keys: [] }, '"credentials" array'],
    ['no selector', { credentials: [{ tenant: 'a', principal: 'p', roles: [] }] }, 'exactly one of'],
    [
      'two selectors',
      { credentials: [{ key: 'k', certSubjectCn: 'c', tenant: 'a', principal: 'p', roles: [] }] },
      'exactly one of',
    ],
    [
      'a short digest',
      { credentials: [{ keySha256: 'abcd', tenant: 'a', principal: 'p', roles: [] }] },
      '64 hex',
    ],
    [
      'a bad tenant',
      { credentials: [{ key: 'k', tenant: 'Acme Corp', principal: 'p', roles: [] }] },
      '.tenant',
    ],
    [
      'an empty principal',
      { credentials: [{ key: 'k', tenant: 'a', principal: '', roles: [] }] },
      '.principal',
    ],
    [
      'an unknown role',
      { credentials: [{ key: 'k', tenant: 'a', principal: 'p', roles: ['admin'] }] },
      '.roles',
    ],
    [
      'the same key twice',
      {
        credentials: [
          { key: 'k', tenant: 'a', principal: 'p', roles: [] },
          { keySha256: sha256('k'), tenant: 'b', principal: 'q', roles: [] },
        ],
      },
      'appears twice',
    ],
  ])('refuses %s, naming the entry', (_name, value, problem) => {
    expect(problemsOf(value).join('\n')).toContain(problem);
  });
});

describe('bearerKey', () => {
  it('reads exactly one well-formed bearer value', () => {
    expect(bearerKey([])).toBeUndefined();
    expect(bearerKey(['Bearer abc'])).toBe('abc');
    expect(bearerKey(['bearer   abc  '])).toBe('abc');
    expect(bearerKey(['Basic abc'])).toBeNull();
    expect(bearerKey(['Bearer a', 'Bearer b'])).toBeNull();
    expect(bearerKey([Buffer.from('Bearer abc')])).toBeNull();
  });
});
