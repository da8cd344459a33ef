import { bytesToHex } from '@noble/hashes/utils.js';
import { useMemo, useRef, useState } from 'preact/hooks';
import type { CheckpointResponseJson, RoundResponseJson } from '../../../src/api-types.js';
import type { ApiClient } from '../model/api-client.js';
import { checkCheckpoint } from '../model/checkpoint-check.js';
import { formatMicros } from '../model/format.js';
import type { PinnedTrust } from '../model/pinned-trust.js';
import { downloadText } from './download.js';
import { PublicationList } from './publication-list.js';
import { StatusBadge } from './status-badge.js';
import { usePolling } from './use-polling.js';
import { WitnessTable } from './witness-table.js';

const POLL_MS = 2000;
/** Samples kept for the size-over-time chart (10 minutes at one a 2 s). */
const MAX_SAMPLES = 300;

interface Sample {
  readonly atMs: number;
  readonly size: number;
}

/** The newest round and the one before it, as the verifier reports them (GetRound: unverified). */
interface Latency {
  readonly round: number;
  readonly closedAtUs: number;
  readonly intervalMs: number;
  /** closed_at of the newest round minus that of the round before it, µs; undefined for round 0. */
  readonly lastIntervalUs: number | undefined;
}

/**
 * The calendar: its newest checkpoint checked here, size (= rounds) over time while the page is
 * open, round latency, the witnesses with their cosignature lag, and the publications to download.
 */
export function CalendarView(props: { readonly client: ApiClient; readonly pinned: PinnedTrust }) {
  const [note, setNote] = useState('');
  const [samples, setSamples] = useState<readonly Sample[]>([]);
  const [latency, setLatency] = useState<Latency | null>(null);
  const [error, setError] = useState('');
  const [nowMs, setNowMs] = useState(Date.now());

  const knownSize = useRef(-1);
  usePolling(
    async (stopped) => {
      const response = await props.client.post<CheckpointResponseJson>('/api/v1/checkpoint', {});
      if (stopped()) return;
      const atMs = Date.now();
      const size = Number(response.size);
      setNote(response.checkpoint);
      setNowMs(atMs);
      setSamples((old) => [...old, { atMs, size }].slice(-MAX_SAMPLES));
      if (size === 0 || size === knownSize.current) return;
      knownSize.current = size;
      const newest = await props.client.post<RoundResponseJson>('/api/v1/round', { round: size - 1 });
      const before =
        size > 1
          ? await props.client.post<RoundResponseJson>('/api/v1/round', { round: size - 2 })
          : undefined;
      if (stopped()) return;
      setLatency({
        round: Number(newest.round),
        closedAtUs: Number(newest.closedAtUs),
        intervalMs: newest.intervalMs,
        lastIntervalUs:
          before === undefined ? undefined : Number(newest.closedAtUs) - Number(before.closedAtUs),
      });
    },
    POLL_MS,
    setError,
    [props.client],
  );

  const check = useMemo(
    () => (note === '' ? undefined : checkCheckpoint(note, props.pinned)),
    [note, props.pinned],
  );
  const first = samples[0];
  const last = samples[samples.length - 1];
  const rate =
    first !== undefined && last !== undefined && last.atMs > first.atMs
      ? ((last.size - first.size) * 60_000) / (last.atMs - first.atMs)
      : undefined;

  return (
    <section aria-labelledby="calendar-title">
      <h2 id="calendar-title">Calendar</h2>
      {error !== '' && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {check !== undefined && (
        <dl class="calendar-facts">
          <dt>Checkpoint</dt>
          <dd>
            <StatusBadge status={check.ok ? 'valid' : 'invalid'} code={check.ok ? undefined : check.code} />{' '}
            {check.ok ? `${check.checkpoint.origin}, signed by ${check.signedBy.join(', ')}` : check.message}
          </dd>
          <dt>Size (rounds)</dt>
          <dd data-testid="calendar-size">{last?.size ?? '—'}</dd>
          <dt>Rounds per minute (while this page is open)</dt>
          <dd>{rate === undefined ? '—' : rate.toFixed(1)}</dd>
          <dt>Round latency (as the verifier reports the rounds: unverified)</dt>
          <dd data-testid="round-latency">
            {latency === null
              ? '—'
              : `round ${latency.round} closed ${formatMicros(latency.closedAtUs)}, ${Math.max(0, (nowMs - latency.closedAtUs / 1000) / 1000).toFixed(1)} s ago; ${latency.lastIntervalUs === undefined ? 'first round' : `${(latency.lastIntervalUs / 1e6).toFixed(2)} s after the round before`} (interval ${latency.intervalMs} ms)`}
          </dd>
          {check.ok && (
            <>
              <dt>Root</dt>
              <dd>
                <code>{bytesToHex(check.checkpoint.root)}</code>
              </dd>
              <dt>Pinned witnesses on this checkpoint</dt>
              <dd>
                {check.cosignatures.length === 0
                  ? 'no cosignature of a pinned witness on this checkpoint'
                  : check.cosignatures
                      .map(
                        (c) => `${c.name}: cosigned ${Math.max(0, Math.round(nowMs / 1000 - c.time))} s ago`,
                      )
                      .join('; ')}
              </dd>
            </>
          )}
        </dl>
      )}
      <SizeChart samples={samples} />
      <p>
        <button
          type="button"
          onClick={() => downloadText(`checkpoint-${last?.size ?? 0}.txt`, note)}
          disabled={note === ''}
        >
          Download the checkpoint note
        </button>
      </p>
      <WitnessTable client={props.client} pinned={props.pinned} nowMs={nowMs} />
      <PublicationList client={props.client} pinned={props.pinned} />
    </section>
  );
}

/** Size over time while the page is open: a line with its first and last values and time span. */
function SizeChart({ samples }: { readonly samples: readonly Sample[] }) {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined || samples.length < 2) return null;
  const width = 600;
  const height = 120;
  const left = 48;
  const bottom = 18;
  const plotW = width - left - 8;
  const plotH = height - bottom - 8;
  const span = Math.max(1, last.atMs - first.atMs);
  const low = Math.min(...samples.map((s) => s.size));
  const high = Math.max(low + 1, ...samples.map((s) => s.size));
  const points = samples
    .map(
      (s) =>
        `${(left + ((s.atMs - first.atMs) / span) * plotW).toFixed(1)},${(8 + plotH - ((s.size - low) / (high - low)) * plotH).toFixed(1)}`,
    )
    .join(' ');
  return (
    <figure class="chart">
      <svg
        class="size-chart"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Calendar size over the last ${Math.round(span / 1000)} s: from ${first.size} to ${last.size} rounds`}
        data-testid="size-chart"
      >
        <rect class="chart-frame" x={left} y={8} width={plotW} height={plotH} />
        <text class="chart-axis" x={left - 4} y={14} text-anchor="end">
          {high}
        </text>
        <text class="chart-axis" x={left - 4} y={8 + plotH} text-anchor="end">
          {low}
        </text>
        <text class="chart-axis" x={left} y={height - 4}>
          {`−${Math.round(span / 1000)} s`}
        </text>
        <text class="chart-axis" x={width - 8} y={height - 4} text-anchor="end">
          now
        </text>
        <polyline points={points} />
      </svg>
      <figcaption class="note">Calendar size (rounds) sampled every 2 s while this view is open.</figcaption>
    </figure>
  );
}
