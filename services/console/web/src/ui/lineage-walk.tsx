import { type DataEvent, formatImprint, formatUuid } from '@msi/core';
import { useState } from 'preact/hooks';
import type { LineageDirectionName, LineageHopJson, LineageResponseJson } from '../../../src/api-types.js';
import type { ApiClient } from '../model/api-client.js';
import type { CustodyRow } from '../model/custody.js';
import { shorten } from '../model/format.js';
import { buildLineage, type LineageGraph } from '../model/lineage-graph.js';
import { judgeLineageHops, type LineageHopRow } from '../model/lineage-hops.js';
import { verifyInWorkers } from '../model/verify-in-workers.js';
import { LineageSvg } from './lineage-svg.js';
import { messageOf } from './sign-in.js';
import { StatusBadge } from './status-badge.js';

/** Links asked of GetLineage for one walk. */
const MAX_LINKS = 1000;

interface Walk {
  readonly rows: readonly LineageHopRow[];
  readonly graph: LineageGraph;
  readonly truncated: boolean;
}

/**
 * The lineage across several hops (GetLineage): every link's receipt verified in this page before
 * its edge is drawn (events already verified in the history are not verified again); links that do
 * not verify are listed with their verdict and left out of the graph.
 */
export function LineageWalk(props: {
  readonly client: ApiClient;
  /** The imprint the walk starts from. */
  readonly data: string;
  /** The history's rows: its valid events are known, and drawn with the walk's. */
  readonly historyRows: readonly CustodyRow[];
  readonly trustText: string;
  readonly quorum: number;
}) {
  const [direction, setDirection] = useState<LineageDirectionName>('both');
  const [depth, setDepth] = useState(4);
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const [walk, setWalk] = useState<Walk | null>(null);

  const run = async (event: Event) => {
    event.preventDefault();
    setError('');
    setWalk(null);
    try {
      setStatus(`Walking the lineage of ${props.data}, ${depth} hops ${direction}…`);
      const response = await props.client.post<LineageResponseJson>('/api/v1/lineage', {
        data: props.data,
        direction,
        maxDepth: depth,
        maxLinks: MAX_LINKS,
      });
      const known = new Map<string, DataEvent>();
      for (const row of props.historyRows) {
        if (row.status === 'valid' && row.event !== undefined)
          known.set(formatUuid(row.event.eventId), row.event);
      }
      const toVerify = response.hops.map((hop) =>
        known.has(hop.eventId) || hop.receiptJson === null ? '' : hop.receiptJson,
      );
      const verified = await verifyInWorkers(toVerify, props.trustText, props.quorum);
      const checks = toVerify.map((text, i) => (text === '' ? undefined : verified[i]));
      const rows = judgeLineageHops(response.hops, checks, known);
      const events = [
        ...known.values(),
        ...rows.flatMap((row) => (row.status === 'valid' && row.event !== undefined ? [row.event] : [])),
      ];
      setWalk({ rows, graph: buildLineage(events), truncated: response.truncated });
      const valid = rows.filter((row) => row.status === 'valid').length;
      setStatus(
        `${rows.length} link${rows.length === 1 ? '' : 's'}, ${valid} verified in this browser${response.truncated ? '; the walk was cut short (more links exist)' : ''}.`,
      );
    } catch (failure: unknown) {
      setStatus('');
      setError(messageOf(failure));
    }
  };

  return (
    <section class="lineage-walk" aria-labelledby="lineage-walk-title">
      <h3 id="lineage-walk-title">Lineage across several hops</h3>
      <form class="walk-controls" onSubmit={run} aria-label="Walk the lineage">
        <label for="walk-direction">Direction</label>
        <select
          id="walk-direction"
          value={direction}
          onChange={(e) => setDirection(e.currentTarget.value as LineageDirectionName)}
        >
          <option value="both">both ways</option>
          <option value="upstream">upstream (what it was made from)</option>
          <option value="downstream">downstream (what was made from it)</option>
        </select>
        <label for="walk-depth">Hops</label>
        <input
          id="walk-depth"
          type="number"
          min={1}
          max={16}
          value={depth}
          onInput={(e) => setDepth(Math.min(16, Math.max(1, Number(e.currentTarget.value) || 1)))}
        />
        <button type="submit">Walk the lineage</button>
      </form>
      <p class="status" role="status" aria-live="polite" data-testid="walk-status">
        {status}
      </p>
      {error !== '' && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {walk !== null && (
        <div data-testid="walk-result">
          <LineageSvg graph={walk.graph} testId="walk-graph" />
          <HopTable rows={walk.rows} />
        </div>
      )}
    </section>
  );
}

function HopTable({ rows }: { readonly rows: readonly LineageHopRow[] }) {
  return (
    <table class="timeline">
      <caption class="sr-only">Links of the lineage walk, by depth; only valid ones are drawn</caption>
      <thead>
        <tr>
          <th scope="col">Link</th>
          <th scope="col">Hops</th>
          <th scope="col">Walk</th>
          <th scope="col">Kind</th>
          <th scope="col">From</th>
          <th scope="col">To</th>
          <th scope="col">Event</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.hop.eventId} class={`row-${row.status}`} data-testid="walk-row">
            <td>
              <StatusBadge status={row.status} code={row.code} title={row.message} />
            </td>
            <td>{row.hop.depth}</td>
            <td>{row.hop.direction}</td>
            <td>{row.hop.kind}</td>
            <td>{side(sidesOf(row), 'from')}</td>
            <td>{side(sidesOf(row), 'to')}</td>
            <td>
              <code>{row.hop.eventId}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type Sides = Pick<
  LineageHopJson,
  'fromData' | 'toData' | 'fromTenant' | 'toTenant' | 'source' | 'destination'
>;

/** A valid link's sides from its verified event; any other's as the server lists them. */
function sidesOf(row: LineageHopRow): Sides {
  const event = row.event;
  if (event === undefined) return row.hop;
  const process = event.kind === 'PROCESS';
  return {
    fromData: (process ? event.inputs : [event.data]).map(formatImprint),
    toData: (process ? event.outputs : [event.data]).map(formatImprint),
    fromTenant: event.tenant,
    toTenant: process || event.toTenant === '' ? event.tenant : event.toTenant,
    source: event.source,
    destination: event.destination,
  };
}

/** One side of a link: its imprints, tenant and place (`system/region`). */
function side(sides: Sides, which: 'from' | 'to'): string {
  const data = which === 'from' ? sides.fromData : sides.toData;
  const tenant = which === 'from' ? sides.fromTenant : sides.toTenant;
  const place = which === 'from' ? sides.source : sides.destination;
  const where = [place.system, place.region].filter((s) => s !== '').join('/');
  return `${data.map((d) => shorten(d, 18)).join(', ')} · ${tenant}${where === '' ? '' : ` @ ${where}`}`;
}
