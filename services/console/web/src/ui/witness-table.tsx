import { useMemo, useState } from 'preact/hooks';
import type {
  CheckpointResponseJson,
  WitnessesResponseJson,
  WitnessStatusJson,
} from '../../../src/api-types.js';
import type { ApiClient } from '../model/api-client.js';
import { checkWitness, type WitnessCheck } from '../model/checkpoint-check.js';
import { formatMicros } from '../model/format.js';
import type { PinnedTrust } from '../model/pinned-trust.js';
import { StatusBadge } from './status-badge.js';
import { usePolling } from './use-polling.js';

/** How often the witnesses are read again. */
const POLL_MS = 10_000;

interface WitnessRow {
  readonly status: WitnessStatusJson;
  /** The newest checkpoint it cosigned, as the verifier serves it (GetCheckpoint cosigned). */
  readonly note: string;
}

/**
 * Every witness the verifier has seen cosigning (GetWitnessStatus): its newest cosigned size, when,
 * and how far it lags. Its cosignature on that checkpoint is verified here against the pinned
 * witness keys: shown valid only then; the lag figures are the server's word.
 */
export function WitnessTable(props: {
  readonly client: ApiClient;
  readonly pinned: PinnedTrust;
  readonly nowMs: number;
}) {
  const [rows, setRows] = useState<readonly WitnessRow[] | null>(null);
  const [size, setSize] = useState('');
  const [error, setError] = useState('');

  usePolling(
    async (stopped) => {
      const answer = await props.client.post<WitnessesResponseJson>('/api/v1/witnesses', {});
      const read = await Promise.all(
        answer.witnesses.map(async (status): Promise<WitnessRow> => {
          if (status.cosignedSize === '0') return { status, note: '' };
          const { checkpoint } = await props.client.post<CheckpointResponseJson>('/api/v1/checkpoint', {
            size: Number(status.cosignedSize),
            cosigned: true,
          });
          return { status, note: checkpoint };
        }),
      );
      if (stopped()) return;
      setRows(read);
      setSize(answer.checkpointSize);
    },
    POLL_MS,
    setError,
    [props.client],
  );

  return (
    <section aria-labelledby="witnesses-title">
      <h3 id="witnesses-title">Witnesses</h3>
      {error !== '' && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {rows !== null && rows.length === 0 && <p class="note">No witness has cosigned this calendar yet.</p>}
      {rows !== null && rows.length > 0 && (
        <table class="timeline" data-testid="witness-table">
          <caption>
            Cosignatures of the newest checkpoint (size {size}) and before; each verified here against the
            pinned witness keys
          </caption>
          <thead>
            <tr>
              <th scope="col">Cosignature</th>
              <th scope="col">Witness</th>
              <th scope="col">Key id</th>
              <th scope="col">Cosigned size</th>
              <th scope="col">Cosigned at</th>
              <th scope="col">Lag (entries)</th>
              <th scope="col">Lag (time)</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <WitnessLine key={`${row.status.name} ${row.status.keyId}`} row={row} {...props} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function WitnessLine(props: {
  readonly row: WitnessRow;
  readonly pinned: PinnedTrust;
  readonly nowMs: number;
}) {
  const { status, note } = props.row;
  const check: WitnessCheck = useMemo(
    () =>
      note === ''
        ? { status: 'unverified', message: 'no cosigned checkpoint yet' }
        : checkWitness(note, props.pinned, status.name, status.keyId),
    [note, props.pinned, status.name, status.keyId],
  );
  const atMs = Number(status.cosignedAtUs) / 1000;
  return (
    <tr data-testid="witness-row" class={`row-${check.status}`}>
      <td>
        <StatusBadge
          status={check.status}
          code={check.status === 'invalid' ? check.code : undefined}
          title={check.status === 'valid' ? undefined : check.message}
        />
      </td>
      <td>{status.name}</td>
      <td>
        <code>{status.keyId}</code>
      </td>
      <td>{status.cosignedSize}</td>
      <td>
        {formatMicros(Number(status.cosignedAtUs))}
        {atMs > 0 && ` (${Math.max(0, Math.round((props.nowMs - atMs) / 1000))} s ago)`}
      </td>
      <td>{status.lagEntries}</td>
      <td>{(Number(status.lagUs) / 1e6).toFixed(1)} s</td>
    </tr>
  );
}
