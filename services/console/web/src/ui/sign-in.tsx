import { useState } from 'preact/hooks';
import { ApiClient, ApiError } from '../model/api-client.js';

/**
 * Sign-in with an API key: checked by one call that needs a key (the alerts list); a key the
 * services refuse is said so. The key is handed to an ApiClient in memory and never stored.
 */
export function SignIn({ onSignedIn }: { readonly onSignedIn: (client: ApiClient) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    const client = new ApiClient(key.trim());
    try {
      await client.post('/api/v1/alerts', { pageSize: 1 });
      onSignedIn(client);
    } catch (failure: unknown) {
      // PERMISSION_DENIED: the key is valid but may not list alerts (an emitter key): still signed in.
      if (failure instanceof ApiError && failure.code === 'PERMISSION_DENIED') onSignedIn(client);
      else
        setError(
          failure instanceof ApiError && failure.status === 401
            ? 'This API key is not accepted.'
            : messageOf(failure),
        );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <h1>MSI auditor's console</h1>
      <form onSubmit={submit} aria-describedby="sign-in-note">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || key.trim() === ''}>
          Sign in
        </button>
        <p id="sign-in-note" class="note">
          The key is kept in this tab's memory only; closing or reloading the tab signs you out.
        </p>
        {error !== '' && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
