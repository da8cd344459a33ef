import { defaultEd25519, type Ed25519Verifier } from '@msi/core';
import { type MerkleHasher, portableHasher } from '@msi/merkle';
import { publishDurable, type Subjects } from '@msi/nats';
import { streamV1 } from '@msi/proto';
import { every, type Logger } from '@msi/service-kit';
import { addCheckpoint } from '@msi/witness-client';
import type { JetStreamClient } from '@nats-io/jetstream';
import type pg from 'pg';
import { calendarConsistencyProof } from './calendar-nodes.js';
import { calendarCheckpoint, type StoredCheckpoint } from './calendar-queries.js';
import {
  calendarCosignedCheckpoint,
  setWitnessSize,
  storeCosignature,
  witnessSizes,
} from './cosignature-store.js';
import type { WitnessMetrics } from './metrics.js';
import { judgeWitnessAnswer, MAX_CONFLICT_RETRIES } from './witness-answer.js';
import type { WitnessTarget } from './witness-list.js';

export interface WitnessSubmitterOptions {
  /** The calendar database (the app connection: it reads the log, writes witness_state/cosignatures). */
  readonly pool: pg.Pool;
  readonly js: JetStreamClient;
  readonly subjects: Subjects;
  readonly witnesses: readonly WitnessTarget[];
  /** How often each witness loop looks for a newer checkpoint (the round interval is a good value). */
  readonly pollMs: number;
  /** Per-request timeout of add-checkpoint. */
  readonly requestTimeoutMs: number;
  readonly publishTimeoutMs: number;
  /** Longest wait between attempts to reach a failing witness (default 30 s; backoff doubles from pollMs). */
  readonly maxBackoffMs?: number;
  readonly hasher?: MerkleHasher;
  readonly ed?: Ed25519Verifier;
  /** Wall clock, ms since the epoch (the time of WitnessRefused). */
  readonly nowMs: () => number;
  readonly log: Logger;
  readonly metrics?: WitnessMetrics;
}

/** What one submission to one witness did. */
export type SubmissionOutcome = 'idle' | 'cosigned' | 'refused' | 'failed';

/** A running submitter: one independent loop per witness. */
export interface RunningSubmitter {
  /** Stops every loop (an add-checkpoint in flight is aborted). */
  stop(): Promise<void>;
}

/**
 * Submits the newest checkpoint to each witness, in one loop per witness that is never on the round
 * path: a witness that is down or slow delays nothing, and catches up in one step (old = its size, a
 * consistency proof to the newest checkpoint). A 200 is verified line by line and stored, the witness
 * advanced and a CheckpointCosigned (note + every cosignature stored for that size) published on
 * `<prefix>.checkpoints` (msgID `cosigned-<size>-<count>`); a 409 moves the witness to the size it
 * holds and retries (at most MAX_CONFLICT_RETRIES times); a 422/403 publishes WitnessRefused on
 * `<prefix>.integrity.witness`, logs at error level, and that checkpoint is not offered to that witness
 * again; network errors and other answers back off (doubling from pollMs up to maxBackoffMs).
 */
export function startWitnessSubmitter(options: WitnessSubmitterOptions): RunningSubmitter {
  const loops = options.witnesses.map((witness) => witnessLoop(options, witness));
  return {
    async stop() {
      await Promise.all(loops.map((loop) => loop.stop()));
    },
  };
}

/** One witness's loop: every pollMs, backing off (doubling up to maxBackoffMs) while it fails. */
function witnessLoop(options: WitnessSubmitterOptions, witness: WitnessTarget) {
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const state: WitnessLoopState = { refusedSize: undefined };
  let failures = 0;
  const delayAfter = (outcome: SubmissionOutcome) => {
    failures = outcome === 'failed' ? failures + 1 : 0;
    return failures === 0 ? options.pollMs : Math.min(maxBackoffMs, options.pollMs * 2 ** failures);
  };
  return every({
    intervalMs: options.pollMs,
    run: async (stopped) => delayAfter(await submitNewest(options, witness, state, stopped)),
    onError: (error) => {
      options.metrics?.failures.inc({ witness: witness.name, reason: 'network' });
      options.log.warn('witness unreachable', { witness: witness.name, url: witness.url, error });
      return delayAfter('failed');
    },
  });
}

interface WitnessLoopState {
  /** The size of the checkpoint this witness refused (never offered to it again). */
  refusedSize: number | undefined;
}

/** One submission of the newest checkpoint to `witness` (following 409 answers). */
async function submitNewest(
  options: WitnessSubmitterOptions,
  witness: WitnessTarget,
  state: WitnessLoopState,
  stopped: AbortSignal,
): Promise<SubmissionOutcome> {
  const { pool, log } = options;
  const latest = await calendarCheckpoint(pool);
  let size = (await witnessSizes(pool)).get(witness.name) ?? 0;
  options.metrics?.size.set({ witness: witness.name }, size);
  if (latest === undefined || latest.size <= size || state.refusedSize === latest.size) return 'idle';
  for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
    const proof =
      size === 0 ? [] : await calendarConsistencyProof(pool, size, latest.size, options.hasher ?? hasher);
    const response = await addCheckpoint(
      witness.url,
      { oldSize: size, proof, checkpoint: latest.note },
      { signal: AbortSignal.any([stopped, AbortSignal.timeout(options.requestTimeoutMs)]) },
    );
    const step = judgeWitnessAnswer(response, latest.note, witness, options.ed ?? ed);
    switch (step.kind) {
      case 'cosigned': {
        for (const line of step.invalid) {
          options.metrics?.failures.inc({ witness: witness.name, reason: 'invalid_cosignature' });
          log.warn('witness returned an invalid cosignature line (ignored)', {
            witness: witness.name,
            size: latest.size,
            line: line.slice(0, 200),
          });
        }
        await storeCosignature(pool, witness.name, latest.size, step.lines[0] ?? '');
        options.metrics?.cosigned.inc({ witness: witness.name });
        options.metrics?.size.set({ witness: witness.name }, latest.size);
        log.debug('checkpoint cosigned', { witness: witness.name, size: latest.size });
        await publishCosigned(options, latest.size);
        return 'cosigned';
      }
      case 'resync':
        log.info('witness holds another size: resubmitting from it', {
          witness: witness.name,
          was: size,
          size: step.size,
        });
        await setWitnessSize(pool, witness.name, step.size);
        options.metrics?.size.set({ witness: witness.name }, step.size);
        size = step.size;
        if (size >= latest.size) return 'idle';
        break;
      case 'refused':
        state.refusedSize = latest.size;
        await reportRefusal(options, witness, latest, step);
        return 'refused';
      case 'failed':
        options.metrics?.failures.inc({ witness: witness.name, reason: 'http' });
        log.warn('witness did not cosign', { witness: witness.name, size: latest.size, reason: step.reason });
        return 'failed';
    }
  }
  options.metrics?.failures.inc({ witness: witness.name, reason: 'conflicts' });
  log.warn('witness keeps answering 409: giving up this submission', { witness: witness.name, size });
  return 'failed';
}

const hasher = portableHasher();
const ed = defaultEd25519();

/** Publishes the checkpoint of `size` with every stored cosignature (a failure is logged, not thrown). */
async function publishCosigned(options: WitnessSubmitterOptions, size: number): Promise<void> {
  try {
    const cosigned = await calendarCosignedCheckpoint(options.pool, size);
    if (cosigned === undefined) return;
    const payload = streamV1.CheckpointCosigned.encode({
      version: 1,
      size: BigInt(size),
      checkpoint: cosigned.note,
    }).finish();
    await publishDurable(options.js, options.subjects.checkpoints, payload, {
      msgID: `cosigned-${size}-${cosigned.witnesses.length}`,
      timeoutMs: options.publishTimeoutMs,
      attempts: 3,
    });
  } catch (error: unknown) {
    options.log.warn('cosigned checkpoint not published (it is stored)', { size, error });
  }
}

/** Logs (error level) and publishes a witness's refusal: the log may be forked or rewritten. */
async function reportRefusal(
  options: WitnessSubmitterOptions,
  witness: WitnessTarget,
  checkpoint: StoredCheckpoint,
  refusal: { readonly status: number; readonly message: string },
): Promise<void> {
  options.metrics?.refusals.inc({ witness: witness.name, status: String(refusal.status) });
  options.log.error('WITNESS REFUSED THE CHECKPOINT: this log may be forked or rewritten', {
    witness: witness.name,
    url: witness.url,
    size: checkpoint.size,
    status: refusal.status,
    message: refusal.message,
  });
  const payload = streamV1.WitnessRefused.encode({
    version: 1,
    witness: witness.name,
    url: witness.url,
    size: BigInt(checkpoint.size),
    status: refusal.status,
    message: refusal.message,
    checkpoint: checkpoint.note,
    atUs: BigInt(Math.floor(options.nowMs() * 1000)),
  }).finish();
  try {
    await publishDurable(options.js, options.subjects.integrity('witness'), payload, {
      msgID: `witness-refused-${witness.name}-${checkpoint.size}`,
      timeoutMs: options.publishTimeoutMs,
      attempts: 3,
    });
  } catch (error: unknown) {
    options.log.error('witness refusal not published', {
      witness: witness.name,
      size: checkpoint.size,
      error,
    });
  }
}
