import type { ErrorJson } from '../../../src/api-types.js';

/** A refusal of the console's API: the HTTP status and the code (gRPC status name or gateway code). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Calls the console's HTTP API with the signed-in API key. The key lives only in this object, in
 * the tab's memory: never in storage, a cookie or a URL.
 */
export class ApiClient {
  readonly #apiKey: string;

  constructor(apiKey: string) {
    this.#apiKey = apiKey;
  }

  async post<T>(path: string, body: object): Promise<T> {
    const response = await fetch(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    const text = await response.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError(response.status, 'NOT_JSON', `the console answered ${response.status} without JSON`);
    }
    if (!response.ok) {
      const error = value as Partial<ErrorJson>;
      throw new ApiError(response.status, String(error.code ?? 'UNKNOWN'), String(error.message ?? ''));
    }
    return value as T;
  }
}
