import { parsePublication } from '@msi/core';
import { useMemo, useState } from 'preact/hooks';
import type { PublicationJson, PublicationsResponseJson } from '../../../src/api-types.js';
import type { ApiClient } from '../model/api-client.js';
import { checkCheckpoint } from '../model/checkpoint-check.js';
import { formatMicros } from '../model/format.js';
import type { PinnedTrust } from '../model/pinned-trust.js';
import { downloadText } from './download.js';
import { StatusBadge } from './status-badge.js';
import { usePolling } from './use-polling.js';

/** How often the list is read again, and how many publications it shows. */
const POLL_MS = 30_000;
const SHOWN = 20;

/**
 * The calendar's publications (ListPublications), newest first, each to download; the checkpoint
 * each one prints is checked here against the pinned keys (log signature, trusted witnesses).
 */
export function PublicationList(props: { readonly client: ApiClient; readonly pinned: PinnedTrust }) {
  const [publications, setPublications] = useState<readonly PublicationJson[] | null>(null);
  const [error, setError] = useState('');

  usePolling(
    async (stopped) => {
      const answer = await props.client.post<PublicationsResponseJson>('/api/v1/publications', {
        pageSize: SHOWN,
      });
      if (!stopped()) setPublications(answer.publications);
    },
    POLL_MS,
    setError,
    [props.client],
  );

  return (
    <section aria-labelledby="publications-title">
      <h3 id="publications-title">Publications</h3>
      {error !== '' && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {publications !== null && publications.length === 0 && (
        <p class="note">The calendar has made no publication yet.</p>
      )}
      {publications !== null && publications.length > 0 && (
        <table class="timeline" data-testid="publication-table">
          <caption class="sr-only">Publications, newest first, each checked in this browser</caption>
          <thead>
            <tr>
              <th scope="col">Checkpoint</th>
              <th scope="col">Time</th>
              <th scope="col">Size</th>
              <th scope="col">Download</th>
            </tr>
          </thead>
          <tbody>
            {publications.map((p) => (
              <PublicationLine key={`${p.timeUs} ${p.size}`} publication={p} pinned={props.pinned} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function PublicationLine(props: { readonly publication: PublicationJson; readonly pinned: PinnedTrust }) {
  const { publication } = props;
  const badge = useMemo(
    () => publicationBadge(publication.text, props.pinned),
    [publication.text, props.pinned],
  );
  const name = `publication-${publication.size}.txt`;
  return (
    <tr data-testid="publication-row">
      <td>
        <StatusBadge status={badge.status} code={badge.code} title={badge.title} />
      </td>
      <td>{formatMicros(Number(publication.timeUs))}</td>
      <td>{publication.size}</td>
      <td>
        <button
          type="button"
          class="secondary"
          aria-label={`Download publication of size ${publication.size}`}
          onClick={() => downloadText(name, publication.text)}
        >
          {name}
        </button>
      </td>
    </tr>
  );
}

/** The publication parsed (docs/PROOFS.md §10) and its checkpoint checked against the pinned keys. */
function publicationBadge(
  text: string,
  pinned: PinnedTrust,
): { status: 'valid' | 'invalid'; code?: string; title?: string } {
  try {
    const check = checkCheckpoint(parsePublication(text).note, pinned);
    return check.ok ? { status: 'valid' } : { status: 'invalid', code: check.code, title: check.message };
  } catch (error: unknown) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'PUBLICATION_MALFORMED';
    return { status: 'invalid', code, title: error instanceof Error ? error.message : String(error) };
  }
}
