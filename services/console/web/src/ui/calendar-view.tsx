import { bytesToHex } from '@noble/hashes/utils.js';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { CheckpointResponseJson } from '../../../src/api-types.js';
import type { ApiClient } from '../model/api-client.js';
import { checkCheckpoint } from '../model/checkpoint-check.js';
import type { PinnedTrust } from '../model/pinned-trust.js';
import { messageOf } from './sign-in.js';
import { StatusBadge } from './status-badge.js';

const POLL_MS = 2000;
/** Samples kept for the size-over-time chart (10 minutes at one a 2 s). */
const MAX_SAMPLES = 300;

interface Sample {
  readonly atMs: number;
  readonly size: number;
}

/** The calendar's newest checkpoint, checked here; its growth while the page is open; witnesses and lag. */
export function CalendarView(props: { readonly client: ApiClient; readonly pinned: PinnedTrust }) {
  const [note, setNote] = useState('');
  const [samples, setSamples] = useState<readonly Sample[]>([]);
  const [error, setError] = useState('');
  const [nowMs, setNowMs] = useState(Date.now());

  useEffect(() => {
    let stopped = false;
    const read = async () => {
      try {
        const response = await props.client.post<CheckpointResponseJson>('/api/v1/checkpoint', {});
        if (stopped) return;
        const atMs = Date.now();
        setNote(response.checkpoint);
        setNowMs(atMs);
        setSamples((old) => [...old, { atMs, size: Number(response.size) }].slice(-MAX_SAMPLES));
        setError('');
      } catch (failure: unknown) {
        if (!stopped) setError(messageOf(failure));
      }
    };
    void read();
    const timer = setInterval(read, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [props.client]);

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
  const download = () => {
    const url = URL.createObjectURL(new Blob([note], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `checkpoint-${last?.size ?? 0}.txt`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

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
          {check.ok && (
            <>
              <dt>Root</dt>
              <dd>
                <code>{bytesToHex(check.checkpoint.root)}</code>
              </dd>
              <dt>Trusted witnesses</dt>
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
        <button type="button" onClick={download} disabled={note === ''}>
          Download the checkpoint (publication)
        </button>
      </p>
    </section>
  );
}

function SizeChart({ samples }: { readonly samples: readonly Sample[] }) {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined || samples.length < 2) return null;
  const width = 600;
  const height = 120;
  const span = Math.max(1, last.atMs - first.atMs);
  const low = first.size;
  const high = Math.max(low + 1, last.size);
  const points = samples
    .map(
      (s) => `${((s.atMs - first.atMs) / span) * width},${height - ((s.size - low) / (high - low)) * height}`,
    )
    .join(' ');
  return (
    <svg
      class="size-chart"
      width={width}
      height={height}
      role="img"
      aria-label={`Calendar size from ${low} to ${last.size}`}
    >
      <polyline points={points} />
    </svg>
  );
}
