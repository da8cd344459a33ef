import {
  type Ed25519Verifier,
  type FollowerState,
  followRound,
  type NoteVerifierKey,
  type Publication,
} from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { defaultStreamSettings, ensureStreams, streamNamesFor, subjectsFor } from '@msi/nats';
import type { Pool, PoolClient } from '@msi/postgres';
import { streamV1, verifierV1 } from '@msi/proto';
import { type GroupApplied, type Logger, type PumpMessage, StreamPump } from '@msi/service-kit';
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { backfillProjection } from './backfill.js';
import type { CheckResult } from './checks.js';
import { checkCosigned } from './cosigned.js';
import { eventRowsOf } from './event-rows.js';
import { type Failure, publishFailure } from './integrity.js';
import type { ProjectionPositions, VerifierMetrics } from './metrics.js';
import { recordProjectionSpans } from './projection-span.js';
import {
  CURSOR_TABLE,
  coveredEvents,
  dropSchema,
  insertEvents,
  insertFailures,
  insertPublications,
  insertRounds,
  insertSeals,
  keepCosigned,
  loadFollower,
  prepareProjection,
  raiseWitnessHeads,
  type SealedEvent,
  sealsInRange,
  verifiedNote,
} from './projection-store.js';
import { type CheckedPublication, checkPublication, readPublication } from './publication-check.js';
import { RecentEventRows } from './recent-event-rows.js';
import {
  applyRound,
  decodeRoundMessage,
  describeViolation,
  emptyRoundRows,
  roundFailure,
} from './round-apply.js';
import { applySeal, type DecodedSeal, decodeSealMessage, sealedBatchesOf } from './seal-apply.js';
import { type WitnessLine, witnessHeadsOf, witnessLinesOf } from './witness-lines.js';

const Kind = verifierV1.IntegrityFailureKind;
type StreamKey = 'events' | 'seals' | 'rounds' | 'checkpoints' | 'publications';
const KEYS: readonly StreamKey[] = ['events', 'seals', 'rounds', 'checkpoints', 'publications'];
/**
 * How long a cosigned checkpoint (or a publication) of a size the rounds have not reached yet waits
 * (after the rounds stream is fully applied) before it is reported: the calendar publishes the round
 * first.
 */
const COSIGNED_GRACE_MS = 10_000;
/**
 * Event rows kept for checking seals without reading them back: by RecentEventRows' own estimate
 * (canonical bytes + 200 per row, ~500 bytes per event) 64 MiB is ~13 s of events at 10,000/s.
 */
const RECENT_EVENT_ROWS_BYTES = 64 * 1024 * 1024;
/** Messages applied per transaction, per stream (an EventBatch carries up to 1,000 events). */
const GROUP: Record<StreamKey, number> = {
  events: 64,
  seals: 256,
  rounds: 64,
  checkpoints: 16,
  publications: 16,
};

/** The consumer of the projection on one stream (one filter subject each, NATS 2.9). */
export const consumerName = (key: StreamKey): string => `verifier_${key}`;

export interface ProjectorOptions {
  readonly pool: Pool;
  readonly nc: NatsConnection;
  readonly prefix: string;
  /** JetStream replicas for streams it creates or updates (every service the same; default 1). */
  readonly natsReplicas?: number;
  readonly hasher: MerkleHasher;
  readonly ed25519: Ed25519Verifier;
  /** The trusted calendar key (a parsed verifier key string). */
  readonly calendarKey: NoteVerifierKey;
  /**
   * Witness keys (0x04) whose cosignature lines are checked: a line of one of them that does not
   * verify is dropped. Lines of other keys are kept. Default: none.
   */
  readonly witnessKeys?: readonly NoteVerifierKey[];
  readonly log: Logger;
  readonly now: () => number;
  /** Called after each integrity failure is recorded and published. */
  readonly onFailure?: (failure: Failure) => void;
  /** Called with the event rows that became sealed, after their seals committed (the hot index). */
  readonly onSealed?: (events: readonly SealedEvent[]) => void;
  /** Counts what is applied (after each commit). */
  readonly metrics?: Pick<
    VerifierMetrics,
    | 'eventsApplied'
    | 'sealsApplied'
    | 'sealRangesRead'
    | 'roundsApplied'
    | 'checkpointsApplied'
    | 'cosignedApplied'
    | 'publicationsApplied'
  >;
}

/** Drops the projection (schema and consumers): the next start rebuilds it from the streams. */
export async function dropProjection(pool: Pool, jsm: JetStreamManager, prefix: string): Promise<void> {
  await dropSchema(pool);
  const names = streamNamesFor(prefix);
  for (const key of KEYS) await jsm.consumers.delete(names[key], consumerName(key)).catch(() => {});
}

/**
 * The event-sourced projection: one stream pump (`@msi/service-kit` StreamPump) per stream — events,
 * seals, rounds, checkpoints — each applying groups of messages in one transaction with its cursor
 * (the database, not a consumer, is the truth). Each group is judged by pure appliers (event-rows,
 * seal-apply, round-apply, cosigned) and written by projection-store in multi-row statements. Seals
 * wait for the events they cover, rounds for their seals, cosigned checkpoints for the checkpoint of
 * their size; every mismatch is an integrity failure (a row in `integrity_failures` and an
 * IntegrityFailure on `<prefix>.integrity.verifier`), announced once its transaction committed.
 */
export class Projector {
  readonly #o: ProjectorOptions;
  readonly #jsm: JetStreamManager;
  readonly #names: ReturnType<typeof streamNamesFor>;
  readonly #pumps = new Map<StreamKey, StreamPump>();
  /** The event rows committed last: what a seal is checked against without reading them back. */
  readonly #recent = new RecentEventRows(RECENT_EVENT_ROWS_BYTES);
  /** The calendar as followed from the rounds stream (core followRound), as committed. */
  #calendar: FollowerState;

  private constructor(o: ProjectorOptions, jsm: JetStreamManager, calendar: FollowerState) {
    this.#o = o;
    this.#jsm = jsm;
    this.#names = streamNamesFor(o.prefix);
    this.#calendar = calendar;
  }

  /** Prepares the schema, loads the followed calendar and starts a pump per stream at its cursor. */
  static async start(o: ProjectorOptions): Promise<Projector> {
    await prepareProjection(o.pool);
    await backfillProjection(o.pool, o.calendarKey, o.log);
    const jsm = await jetstreamManager(o.nc);
    // The streams may not exist yet when the verifier starts first (idempotent; as ingest does).
    await ensureStreams(jsm, o.prefix, { ...defaultStreamSettings, replicas: o.natsReplicas ?? 1 });
    const p = new Projector(o, jsm, await loadFollower(o.pool, o.hasher));
    const subjects = subjectsFor(o.prefix);
    const filters: Record<StreamKey, string> = {
      events: subjects.allEvents,
      seals: subjects.allSeals,
      rounds: subjects.rounds,
      checkpoints: subjects.checkpoints,
      publications: subjects.publications,
    };
    const appliers: Record<StreamKey, (m: readonly PumpMessage[], tx: PoolClient) => Promise<GroupApplied>> =
      {
        events: (m, tx) => p.#applyEvents(m, tx),
        seals: (m, tx) => p.#applySeals(m, tx),
        rounds: (m, tx) => p.#applyRounds(m, tx),
        checkpoints: (m, tx) => p.#applyCosigned(m, tx),
        publications: (m, tx) => p.#applyPublications(m, tx),
      };
    const js = jetstream(o.nc);
    for (const key of KEYS) {
      const pump = new StreamPump({
        key,
        js,
        pool: o.pool,
        stream: p.#names[key],
        filter: filters[key],
        cursorTable: CURSOR_TABLE,
        apply: appliers[key],
        consumer: { name: consumerName(key), jsm },
        maxGroup: GROUP[key],
        buffer: 2 * GROUP[key],
        log: o.log.child({ stream: key }),
      });
      p.#pumps.set(key, pump);
      await pump.start();
    }
    return p;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#pumps.values()].map((pump) => pump.stop()));
  }

  /** True when every message stored on the five streams has been applied. */
  async caughtUp(): Promise<boolean> {
    return [...this.#pumps.values()].every((pump) => pump.caughtUp);
  }

  /** Per stream, the last sequence applied and the stream's last sequence (for the lag metric). */
  async positions(): Promise<ProjectionPositions> {
    const out: Record<string, { applied: number; last: number }> = {};
    for (const [key, pump] of this.#pumps) {
      const info = await this.#jsm.streams.info(this.#names[key]);
      out[key] = { applied: pump.cursor, last: info.state.last_seq };
    }
    return out;
  }

  /**
   * Whether every message up to `seq` of a stream is applied, or the stream has nothing more. A
   * pump's `caughtUp` is what its last delivery said: a message stored since (while its consumer
   * restarts after an outage, or not pushed to it yet) may be missing, so a caught-up pump behind
   * `seq` is believed only once the stream's last sequence confirms that nothing up to `seq` exists
   * (a round or seal naming messages never published must not wait forever; one naming messages
   * not applied yet must wait, never be judged against a partial projection).
   */
  async #covered(key: StreamKey, seq: number): Promise<boolean> {
    const pump = this.#pumps.get(key);
    if (pump === undefined) return false;
    if (pump.cursor >= seq) return true;
    if (!pump.caughtUp) return false;
    const info = await this.#jsm.streams.info(this.#names[key]);
    return info.state.last_seq <= pump.cursor;
  }

  /** Events: every decodable event of the group's batches, in one insert. */
  async #applyEvents(messages: readonly PumpMessage[], tx: PoolClient): Promise<GroupApplied> {
    const rows = eventRowsOf(this.#o.hasher, messages);
    await insertEvents(tx, rows);
    return {
      applied: messages.length,
      committed: () => {
        this.#recent.record(
          messages.map((m) => m.seq),
          rows,
        );
        this.#o.metrics?.eventsApplied.inc(rows.seq.length);
      },
    };
  }

  /** Seals, up to the first whose events are not all applied yet: each checked against its events. */
  async #applySeals(messages: readonly PumpMessage[], tx: PoolClient): Promise<GroupApplied> {
    const startedMs = Date.now();
    const decoded: DecodedSeal[] = [];
    for (const m of messages) {
      const seal = decodeSealMessage(this.#names.seals, m);
      if (seal.ok && !(await this.#covered('events', seal.record.streamEnd - 1))) break;
      decoded.push(seal);
    }
    const seals = decoded.flatMap((d) => (d.ok ? [d] : []));
    // The rows of each seal's range: from memory when the events pump committed them recently (the
    // usual case), else read back (after a restart, or a seal far behind its events).
    const held = seals.map((s) => this.#recent.covered(s.record));
    const read = await coveredEvents(
      tx,
      seals.filter((_, i) => held[i] === undefined).map((s) => s.record),
    );
    let nextRead = 0;
    const covered = held.map((rows) => rows ?? read[nextRead++] ?? []);
    const judged = seals.map((s, i) => applySeal(this.#o.hasher, this.#names.seals, s, covered[i] ?? []));
    const failures = decoded.flatMap((d) => (d.ok ? [] : [d.failure]));
    failures.push(...judged.flatMap((j) => (j.failure === undefined ? [] : [j.failure])));
    const sealed = await insertSeals(tx, judged, sealedBatchesOf(judged, covered));
    await insertFailures(tx, failures);
    return {
      applied: decoded.length,
      committed: () => {
        recordProjectionSpans('verifier.project_seal', messages.slice(0, decoded.length), startedMs);
        if (sealed.length > 0) this.#o.onSealed?.(sealed);
        this.#o.metrics?.sealRangesRead.inc({ from: 'memory' }, held.length - read.length);
        this.#o.metrics?.sealRangesRead.inc({ from: 'database' }, read.length);
        for (const j of judged)
          this.#o.metrics?.sealsApplied.inc({ verified: String(j.failure === undefined) });
        this.#announce(failures);
      },
    };
  }

  /**
   * Rounds, in order, each judged by core followRound against the calendar followed so far (every
   * rule of docs/PROOFS.md §6) plus what only the projection can check (round-apply), up to the
   * first whose seals are not all applied yet. A round that is not round k = size (or does not
   * parse) is a failure and is not appended.
   */
  async #applyRounds(messages: readonly PumpMessage[], tx: PoolClient): Promise<GroupApplied> {
    const startedMs = Date.now();
    const stream = this.#names.rounds;
    const rows = emptyRoundRows();
    const failures: Failure[] = [];
    let state = this.#calendar;
    let applied = 0;
    let checkpoints = 0;
    for (const m of messages) {
      const decoded = decodeRoundMessage(stream, m);
      if (!decoded.ok) {
        failures.push(decoded.failure);
        applied++;
        continue;
      }
      const followed = followRound(this.#o.hasher, state, decoded.message, {
        logKey: this.#o.calendarKey,
        ed25519: this.#o.ed25519,
      });
      if (followed.kind === 'not-followed') {
        const details = followed.violations.map(describeViolation);
        failures.push(
          roundFailure(stream, m.seq, state.size, Kind.INTEGRITY_FAILURE_KIND_ROUND_MISMATCH, details),
        );
        applied++;
        continue;
      }
      const { sealsStart, sealsEnd } = followed.record;
      if (sealsEnd > 0 && !(await this.#covered('seals', sealsEnd - 1))) break;
      const published = await sealsInRange(tx, sealsStart, sealsEnd);
      const at = { stream, seq: m.seq, k: state.size };
      failures.push(...applyRound(rows, at, decoded.message, followed, published));
      if (followed.checkpoint !== undefined) checkpoints++;
      state = followed.state;
      applied++;
    }
    await insertRounds(tx, rows, state);
    await insertFailures(tx, failures);
    return {
      applied,
      committed: () => {
        recordProjectionSpans('verifier.project_round', messages.slice(0, applied), startedMs);
        this.#calendar = state;
        for (const r of rows.rounds) this.#o.metrics?.roundsApplied.inc({ verified: String(r.verified) });
        this.#o.metrics?.checkpointsApplied.inc(checkpoints);
        this.#announce(failures);
      },
    };
  }

  /**
   * CheckpointCosigned messages, in order, up to the first whose size the rounds have not reached
   * (unless the rounds stream is fully applied and it is older than the grace). Its body must be the
   * verified checkpoint's (else a fork: an integrity failure); per size, the note with the most
   * cosignature lines is kept.
   */
  async #applyCosigned(messages: readonly PumpMessage[], tx: PoolClient): Promise<GroupApplied> {
    const failures: Failure[] = [];
    const stored: boolean[] = [];
    const seen: { size: number; lines: WitnessLine[] }[] = [];
    let applied = 0;
    for (const m of messages) {
      const decoded = decodeCosignedMessage(this.#names.checkpoints, m);
      if (!decoded.ok) {
        failures.push(decoded.failure);
        applied++;
        continue;
      }
      const { size, message } = decoded;
      if (!(await this.#sizeReached(size, m))) break;
      const checked = checkCosigned(
        size,
        message.checkpoint,
        await verifiedNote(tx, size),
        this.#o.calendarKey,
        this.#o.witnessKeys ?? [],
        this.#o.ed25519,
      );
      applied++;
      if (!checked.ok) {
        failures.push(cosignedFailure(this.#names.checkpoints, m.seq, size, checked.detail));
        continue;
      }
      const { note, cosignatureCount, dropped } = checked.value;
      if (dropped > 0) {
        this.#o.log.warn('dropped cosignature lines that do not verify', { size, dropped, seq: m.seq });
      }
      stored.push(cosignatureCount > 0 && (await keepCosigned(tx, size, note, cosignatureCount)));
      seen.push({ size, lines: witnessLinesOf(note, this.#o.calendarKey) });
    }
    await raiseWitnessHeads(tx, witnessHeadsOf(seen));
    await insertFailures(tx, failures);
    return {
      applied,
      committed: () => {
        for (const s of stored) this.#o.metrics?.cosignedApplied.inc({ stored: String(s) });
        this.#announce(failures);
      },
    };
  }

  /**
   * Whether a message about checkpoint `size` may be judged now: the rounds reached the size, or the
   * rounds stream is fully applied and the message is older than the grace (then a missing checkpoint
   * is a failure, not something to wait for).
   */
  async #sizeReached(size: number, m: PumpMessage): Promise<boolean> {
    if (size <= this.#calendar.size) return true;
    if (!(await this.#covered('rounds', Number.MAX_SAFE_INTEGER))) return false;
    return this.#o.now() - Math.floor(m.storedAtUs / 1000) >= COSIGNED_GRACE_MS;
  }

  /**
   * Publications (the calendar's texts on `<prefix>.publications`), in order, up to the first whose
   * size the rounds have not reached (as cosigned checkpoints): each checked (publication-check) and
   * stored as published, or recorded as an integrity failure and never served.
   */
  async #applyPublications(messages: readonly PumpMessage[], tx: PoolClient): Promise<GroupApplied> {
    const stream = this.#names.publications;
    const failures: Failure[] = [];
    const kept: { seq: number; publication: CheckedPublication }[] = [];
    let applied = 0;
    for (const m of messages) {
      const read = readPublicationMessage(m);
      if (!read.ok) {
        failures.push(
          publicationFailure(stream, m.seq, 0, read.detail, Kind.INTEGRITY_FAILURE_KIND_MALFORMED_MESSAGE),
        );
        applied++;
        continue;
      }
      const size = read.value.publication.checkpoint.size;
      if (!(await this.#sizeReached(size, m))) break;
      const checked = checkPublication(
        read.value.publication,
        read.value.text,
        await verifiedNote(tx, size),
        {
          calendarKey: this.#o.calendarKey,
          witnessKeys: this.#o.witnessKeys ?? [],
          ed25519: this.#o.ed25519,
        },
      );
      applied++;
      if (checked.ok) kept.push({ seq: m.seq, publication: checked.value });
      else
        failures.push(
          publicationFailure(
            stream,
            m.seq,
            size,
            checked.detail,
            Kind.INTEGRITY_FAILURE_KIND_CHECKPOINT_INVALID,
          ),
        );
    }
    await insertPublications(tx, kept);
    await insertFailures(tx, failures);
    return {
      applied,
      committed: () => {
        this.#o.metrics?.publicationsApplied.inc({ verified: 'true' }, kept.length);
        this.#o.metrics?.publicationsApplied.inc({ verified: 'false' }, applied - kept.length);
        this.#announce(failures);
      },
    };
  }

  #announce(failures: readonly Failure[]): void {
    for (const failure of failures) {
      this.#o.log.warn('integrity failure', { ...failure });
      publishFailure(this.#o.nc, this.#o.prefix, failure, this.#o.now());
      this.#o.onFailure?.(failure);
    }
  }
}

/** A CheckpointCosigned message decoded (pure), or the failure it is (a malformed message). */
function decodeCosignedMessage(
  stream: string,
  m: PumpMessage,
):
  | { readonly ok: true; readonly size: number; readonly message: streamV1.CheckpointCosigned }
  | { readonly ok: false; readonly failure: Failure } {
  try {
    const message = streamV1.CheckpointCosigned.decode(m.data);
    if (message.version !== 1) throw new Error(`unknown CheckpointCosigned version ${message.version}`);
    if (message.size > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`size ${message.size} too large`);
    return { ok: true, size: Number(message.size), message };
  } catch (error: unknown) {
    return {
      ok: false,
      failure: {
        kind: Kind.INTEGRITY_FAILURE_KIND_MALFORMED_MESSAGE,
        source: stream,
        seq: m.seq,
        shard: 0,
        number: 0,
        detail: `undecodable cosigned checkpoint: ${(error as Error).message}`,
      },
    };
  }
}

/** A publication message's text (UTF-8) parsed as publication v1 (pure). */
function readPublicationMessage(
  m: PumpMessage,
): CheckResult<{ readonly text: string; readonly publication: Publication }> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(m.data);
  } catch {
    return { ok: false, detail: 'publication: not UTF-8 text' };
  }
  const read = readPublication(text);
  return read.ok ? { ok: true, value: { text, publication: read.value } } : read;
}

const publicationFailure = (
  stream: string,
  seq: number,
  size: number,
  detail: string,
  kind: verifierV1.IntegrityFailureKind,
): Failure => ({ kind, source: stream, seq, shard: 0, number: size, detail });

const cosignedFailure = (stream: string, seq: number, size: number, detail: string): Failure => ({
  kind: Kind.INTEGRITY_FAILURE_KIND_CHECKPOINT_INVALID,
  source: stream,
  seq,
  shard: 0,
  number: size,
  detail,
});
