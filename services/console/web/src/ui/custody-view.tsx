import { type Imprint, parseImprintText } from '@msi/core';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ReceiptResponseJson } from '../../../src/api-types.js';
import type { ApiClient } from '../model/api-client.js';
import { type CustodyRow, judgeActorSearch, judgeHistory } from '../model/custody.js';
import { formatMicros } from '../model/format.js';
import { hashFileInWorker } from '../model/hash-file.js';
import { buildLineage, type LineageGraph } from '../model/lineage-graph.js';
import { readAndVerifyListing, type VerifiedListing } from '../model/read-listing.js';
import type { BrowserReceiptChecker } from '../model/receipt-check.js';
import { LineageSvg } from './lineage-svg.js';
import { LineageWalk } from './lineage-walk.js';
import type { OpenReceipt } from './receipt-view.js';
import { messageOf } from './sign-in.js';
import { StatusBadge } from './status-badge.js';

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Result {
  /** What was searched: an imprint's chain of custody, or an actor's events. */
  readonly mode: 'imprint' | 'actor';
  /** The imprint or the actor searched. */
  readonly query: string;
  readonly rows: readonly CustodyRow[];
  readonly graph: LineageGraph;
  readonly verifyMs: number;
  /** How long reading the history from the server took. */
  readonly fetchMs: number;
}

/**
 * Search (data hash, event id, actor, dropped file), then the timeline and the lineage graph, every
 * receipt verified here; the lineage can then be walked across several hops (LineageWalk).
 */
export function CustodyView(props: {
  readonly client: ApiClient;
  readonly checker: BrowserReceiptChecker;
  /** The pinned keys' text and quorum, for the verification workers. */
  readonly trustText: string;
  readonly quorum: number;
  readonly trusted: boolean;
  readonly onOpenReceipt: (open: OpenReceipt) => void;
}) {
  const { client, checker } = props;
  const [query, setQuery] = useState('');
  const [actorQuery, setActorQuery] = useState('');
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const [result, setResult] = useState<Result | null>(null);
  const [dragging, setDragging] = useState(false);

  /** Judges the verified listing and draws it; verifyMs: what verification took after the reading. */
  const showResult = (
    mode: Result['mode'],
    text: string,
    listing: VerifiedListing,
    judge: (listing: VerifiedListing) => CustodyRow[],
  ) => {
    const judged = performance.now();
    const rows = judge(listing);
    const graph = buildLineage(
      rows.flatMap((row) => (row.status === 'valid' && row.event ? [row.event] : [])),
    );
    const verifyMs = listing.verifyAfterFetchMs + (performance.now() - judged);
    setResult({ mode, query: text, rows, graph, verifyMs, fetchMs: listing.fetchMs });
    setStatus(
      `${rows.length} event${rows.length === 1 ? '' : 's'}; receipts verified in this browser (${verifyMs.toFixed(0)} ms after the last page was read).`,
    );
  };

  const trust = { text: props.trustText, quorum: props.quorum };

  const showHistory = async (imprint: Imprint, text: string) => {
    setStatus(`Reading the chain of custody of ${text}…`);
    const listing = await readAndVerifyListing(client, '/api/v1/history', { data: text }, trust);
    showResult('imprint', text, listing, (l) => judgeHistory(l.entries, imprint, checker, l.verdicts));
  };

  const showActor = async (actor: string) => {
    setStatus(`Reading the events of ${actor}…`);
    const listing = await readAndVerifyListing(client, '/api/v1/search/actor', { actor }, trust);
    showResult('actor', actor, listing, (l) => judgeActorSearch(l.entries, actor, checker, l.verdicts));
  };

  // From a search's start to the frame after its result is drawn: data-drawn-ms (bench-custody.ts).
  const searchStarted = useRef(0);
  const resultElement = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (result === null) return;
    requestAnimationFrame(() =>
      setTimeout(() => {
        resultElement.current?.setAttribute(
          'data-drawn-ms',
          (performance.now() - searchStarted.current).toFixed(1),
        );
      }, 0),
    );
  }, [result]);

  const run = async (work: () => Promise<void>) => {
    searchStarted.current = performance.now();
    setError('');
    setResult(null);
    try {
      await work();
    } catch (failure: unknown) {
      setStatus('');
      setError(messageOf(failure));
    }
  };

  const search = (event: Event) => {
    event.preventDefault();
    const text = query.trim();
    void run(async () => {
      if (UUID_TEXT.test(text)) {
        setStatus(`Fetching the receipt of event ${text}…`);
        const { receiptJson } = await client.post<ReceiptResponseJson>('/api/v1/receipt', {
          eventId: text.toLowerCase(),
        });
        const check = checker.check(receiptJson);
        props.onOpenReceipt({ name: `receipt-${text.toLowerCase()}.json`, text: receiptJson, check });
        return;
      }
      const imprintText = /^[0-9a-f]{64}$/i.test(text) ? `sha256:${text.toLowerCase()}` : text;
      let imprint: Imprint;
      try {
        imprint = parseImprintText(imprintText);
      } catch {
        throw new Error(
          'Enter a data hash (sha256:<hex> or 64 hex digits) or an event id (UUID), or drop a file.',
        );
      }
      await showHistory(imprint, imprintText);
    });
  };

  const searchActor = (event: Event) => {
    event.preventDefault();
    const actor = actorQuery.trim();
    void run(async () => {
      if (actor === '') throw new Error('Enter an actor (or submitter) exactly as in the events.');
      await showActor(actor);
    });
  };

  const hashAndSearch = (file: File) =>
    run(async () => {
      setStatus(`Hashing ${file.name} in this browser (it is not uploaded)…`);
      const imprintText = await hashFileInWorker(file, (bytes) =>
        setStatus(`Hashing ${file.name}: ${(bytes / 1048576).toFixed(0)} MiB read…`),
      );
      setQuery(imprintText);
      await showHistory(parseImprintText(imprintText), imprintText);
    });

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer?.files[0];
    if (file !== undefined) void hashAndSearch(file);
  };

  return (
    <section aria-labelledby="custody-title">
      <h2 id="custody-title">Chain of custody</h2>
      <form class="search" onSubmit={search} aria-label="Search">
        <label for="search-query">Data hash or event id</label>
        <input
          id="search-query"
          type="search"
          spellcheck={false}
          placeholder="sha256:… or 0190…-…"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <button type="submit">Search</button>
      </form>
      <form class="search" onSubmit={searchActor} aria-label="Search by actor">
        <label for="search-actor">Actor or submitter</label>
        <input
          id="search-actor"
          type="search"
          spellcheck={false}
          placeholder="etl-job"
          value={actorQuery}
          onInput={(e) => setActorQuery(e.currentTarget.value)}
        />
        <button type="submit">Find by actor</button>
      </form>
      <section
        class={dragging ? 'drop-zone dragging' : 'drop-zone'}
        aria-label="File drop zone"
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
      >
        <label for="search-file">
          Drop a file here, or choose one: it is hashed in this browser and never uploaded.
        </label>
        <input
          id="search-file"
          type="file"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file !== undefined) void hashAndSearch(file);
          }}
        />
      </section>
      {!props.trusted && <p class="warning">No calendar key is pinned: receipts cannot be shown valid.</p>}
      <p class="status" role="status" aria-live="polite" data-testid="custody-status">
        {status}
      </p>
      {error !== '' && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {result !== null && (
        <div
          data-testid="custody-result"
          data-verify-ms={result.verifyMs.toFixed(1)}
          data-fetch-ms={result.fetchMs.toFixed(1)}
          ref={resultElement}
        >
          {result.mode === 'imprint' ? (
            <>
              <h3>Lineage of {result.query}</h3>
              <LineageSvg graph={result.graph} />
              <LineageWalk
                key={result.query}
                client={client}
                data={result.query}
                historyRows={result.rows}
                trustText={props.trustText}
                quorum={props.quorum}
              />
              <h3>Timeline</h3>
            </>
          ) : (
            <>
              <h3>Events of {result.query}, newest first</h3>
              <LineageSvg graph={result.graph} />
            </>
          )}
          <Timeline
            rows={result.rows}
            onOpenReceipt={props.onOpenReceipt}
            checker={checker}
            testId={result.mode === 'actor' ? 'actor-row' : 'custody-row'}
          />
        </div>
      )}
    </section>
  );
}

function Timeline(props: {
  readonly rows: readonly CustodyRow[];
  readonly checker: BrowserReceiptChecker;
  readonly onOpenReceipt: (open: OpenReceipt) => void;
  readonly testId: string;
}) {
  const [actor, setActor] = useState('');
  const wanted = actor.trim().toLowerCase();
  const rows =
    wanted === '' ? props.rows : props.rows.filter((row) => row.actor.toLowerCase().includes(wanted));
  return (
    <>
      <p class="timeline-filter">
        <label for="timeline-actor">Only the events of an actor</label>
        <input
          id="timeline-actor"
          type="search"
          spellcheck={false}
          value={actor}
          onInput={(e) => setActor(e.currentTarget.value)}
        />
        <span class="note">
          {rows.length} of {props.rows.length} shown
        </span>
      </p>
      <TimelineTable
        rows={rows}
        checker={props.checker}
        onOpenReceipt={props.onOpenReceipt}
        testId={props.testId}
      />
    </>
  );
}

function TimelineTable(props: {
  readonly rows: readonly CustodyRow[];
  readonly checker: BrowserReceiptChecker;
  readonly onOpenReceipt: (open: OpenReceipt) => void;
  readonly testId: string;
}) {
  return (
    <table class="timeline custody-timeline">
      <caption class="sr-only">Events found, each receipt verified in this browser</caption>
      <thead>
        <tr>
          <th scope="col">Receipt</th>
          <th scope="col">Received</th>
          <th scope="col">Kind</th>
          <th scope="col">Role</th>
          <th scope="col">Tenant</th>
          <th scope="col">Actor</th>
          <th scope="col">Round</th>
          <th scope="col">Event</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={`${row.eventId} ${row.role}`} class={`row-${row.status}`} data-testid={props.testId}>
            <td>
              <StatusBadge status={row.status} code={row.code} title={row.message} />
            </td>
            <td>{formatMicros(row.receivedAt)}</td>
            <td>{row.kind}</td>
            <td>{row.role}</td>
            <td>{row.tenant}</td>
            <td>{row.actor}</td>
            <td>{row.round ?? '—'}</td>
            <td>
              {row.receiptJson === null ? (
                <code>{row.eventId}</code>
              ) : (
                <button
                  type="button"
                  class="link"
                  onClick={() =>
                    props.onOpenReceipt({
                      name: `receipt-${row.eventId}.json`,
                      text: row.receiptJson ?? '',
                      check: props.checker.check(row.receiptJson ?? ''),
                    })
                  }
                >
                  {row.eventId}
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
