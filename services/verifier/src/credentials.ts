import type { Metadata } from '@grpc/grpc-js';
import {
  authenticateApiKey,
  bearerKey,
  type CallAuthentication,
  CredentialStore,
  type Identity,
} from '@msi/service-kit';

export { CredentialsError, type Identity, type Role } from '@msi/service-kit';

/**
 * The API keys the verifier accepts: the credentials file format shared with ingest
 * (`{ "credentials": [ { "key" | "keySha256", "tenant", "principal", "roles" }, … ] }`; certificate
 * entries are for ingest's mTLS and are not used here). Keys are compared as SHA-256 digests in
 * constant time by the store.
 */
export class ApiKeys {
  readonly #store: CredentialStore;

  private constructor(store: CredentialStore) {
    this.#store = store;
  }

  /** The API keys of a credentials store (its certificate entries are not used). */
  static of(store: CredentialStore): ApiKeys {
    return new ApiKeys(store);
  }

  /** Parses the file's text (operator input, checked entry by entry). Throws CredentialsError. */
  static fromJson(text: string): ApiKeys {
    return new ApiKeys(CredentialStore.fromJson(text));
  }

  /** The identity of an API key (hostile input). */
  byApiKey(key: string): Identity | undefined {
    return this.#store.byApiKey(key);
  }

  /** The identity of a call's `authorization: Bearer <key>` metadata (hostile input), or undefined. */
  authenticate(metadata: Metadata): Identity | undefined {
    const key = bearerKey(metadata.get('authorization'));
    return typeof key === 'string' ? this.byApiKey(key) : undefined;
  }

  /** The identity of a call's API key, or why it does not authenticate (for security events). */
  authenticateCall(metadata: Metadata): CallAuthentication {
    return authenticateApiKey(this.#store, metadata);
  }

  /** How many API keys are configured. */
  get size(): number {
    return this.#store.counts().apiKeys;
  }
}
