import {
  type ClosedRound,
  type Ed25519Verifier,
  encodeRound,
  type NoteSigner,
  type RoundSeal,
  roundLeafHash,
  signCheckpoint,
} from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import type { StreamNames, Subjects } from '@msi/nats';
import type { Logger } from '@msi/service-kit';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type pg from 'pg';
import {
  type CalendarIdentity,
  decodeRoundAnchored,
  encodeRoundAnchored,
  judgePublished,
  publishedCheckpoint,
  replayRound,
} from './anchored-round.js';
import { CalendarError } from './calendar-error.js';
import {
  type AppendInput,
  anchoredSeals,
  appendRound,
  loadState,
  outboxLag,
  readLease,
  storedRootAt,
} from './calendar-repository.js';
import { type CalendarState, extendState } from './calendar-state.js';
import { lastPublished, readRange, roundsFrom, streamEnd } from './jetstream-log.js';
import type { CalendarMetrics } from './metrics.js';
import { type DrainResult, drainOutbox } from './outbox-publisher.js';
import { assembleRound } from './round-assembly.js';
import { RoundTraces } from './round-traces.js';
import { type SealMessage, sealPairs, selectSeals } from './seal-selection.js';
import { decideLease } from './writer-lease.js';

/** Everything a calendar process works with; built by main.ts (or a test). */
export interface CalendarDeps {
  /** The application pool (MSI_DATABASE_URL). */
  readonly pool: pg.Pool;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly subjects: Subjects;
  readonly streams: StreamNames;
  readonly hasher: MerkleHasher;
  readonly ed?: Ed25519Verifier;
  /** The log key; its name is the origin. */
  readonly signer: NoteSigner;
  readonly identity: CalendarIdentity;
  /** Unique per process: the writer lease's owner. */
  readonly instanceId: string;
  readonly leaseMs: number;
  readonly publishTimeoutMs: number;
  /** Wall clock, ms since the epoch. */
  readonly nowMs: () => number;
  readonly log: Logger;
  readonly metrics?: CalendarMetrics;
}

/** What one round boundary did. */
export type RoundOutcome =
  | { readonly kind: 'appended'; readonly round: number; readonly seals: number; readonly takeover: boolean }
  | { readonly kind: 'standby'; readonly owner: string }
  | { readonly kind: 'caught-up'; readonly from: number; readonly to: number }
  | { readonly kind: 'lost-race'; readonly code: 'LEASE_HELD' | 'STATE_CHANGED' };

/**
 * One calendar process: closes a round per boundary when it holds the writer lease, catches up from
 * `<prefix>.rounds` first when the database is behind it, and publishes the outbox.
 */
export class Calendar {
  readonly #deps: CalendarDeps;
  readonly #traces = new RoundTraces();

  constructor(deps: CalendarDeps) {
    this.#deps = deps;
  }

  /**
   * Closes and appends the next round for the boundary at `boundaryMs` — unless another process holds
   * the lease (standby) or the database is behind the published checkpoints (then it only catches up).
   * Throws a fatal CalendarError when the published history does not verify or has forked.
   */
  async closeNextRound(boundaryMs: number): Promise<RoundOutcome> {
    const d = this.#deps;
    const lease = await readLease(d.pool);
    const decision = decideLease(lease, d.instanceId, lease.nowMs, d.leaseMs);
    if (decision.kind === 'held') {
      d.metrics?.writer.set(0);
      return { kind: 'standby', owner: decision.owner };
    }
    const state = await loadState(d.pool, d.hasher);
    const behind = await this.#publishedSizeAhead(state);
    if (behind !== undefined) return this.#catchUp(state, behind);
    const startedMs = d.nowMs();
    const { end, seals, messages } = await this.#sealsSince(state);
    const context = {
      round: state.size,
      previousClosedAt: state.lastClosedAt,
      sealsStart: state.sealsEnd,
      intervalMs: d.identity.intervalMs,
    };
    const nowUs = d.nowMs() * 1000;
    const closed = assembleRound(d.hasher, context, end, seals, nowUs);
    if (closed.record.closedAt - nowUs > 60_000_000) {
      const { round, closedAt } = closed.record;
      d.log.warn('closed_at is ahead of this clock (a seal received in the future?)', {
        round,
        closedAt,
        nowUs,
      });
    }
    const outcome = await this.#traces.close(state.size, this.#traces.sealSpans(messages), startedMs, () =>
      this.#append(state, closed),
    );
    if (outcome.kind === 'appended') {
      d.metrics?.roundCloseSeconds.observe(Math.max(0, d.nowMs() - boundaryMs) / 1000);
      d.metrics?.sealsPerRound.observe(closed.record.sealCount);
    }
    return outcome;
  }

  /**
   * The seals of the seal-stream range from the state's seals_end to the stream's end, selected
   * (valid, not covered before, first of repeats); skipped messages are logged and counted.
   */
  async #sealsSince(
    state: CalendarState,
  ): Promise<{ end: number; seals: readonly RoundSeal[]; messages: readonly SealMessage[] }> {
    const d = this.#deps;
    const end = await streamEnd(d.jsm, d.streams.seals);
    const messages = await readRange(d.jsm, d.streams.seals, state.sealsEnd, end);
    const selection = selectSeals(messages, await anchoredSeals(d.pool, sealPairs(messages)));
    for (const skipped of selection.skipped) {
      d.metrics?.skippedSeals.inc({ reason: skipped.reason });
      d.log.warn('seal message not covered', { ...skipped });
    }
    return { end, seals: selection.seals, messages };
  }

  /** Publishes what `<prefix>.rounds` lacks from the outbox; updates the outbox-lag metric. */
  async publish(): Promise<DrainResult> {
    const d = this.#deps;
    const result = await drainOutbox({
      pool: d.pool,
      js: d.js,
      jsm: d.jsm,
      stream: d.streams.rounds,
      subject: d.subjects.rounds,
      publishTimeoutMs: d.publishTimeoutMs,
      headersOf: (round) => this.#traces.headersOf(round),
    });
    d.metrics?.outboxLag.set(await outboxLag(d.pool));
    return result;
  }

  /** The published checkpoint size when it is ahead of `state` (after verifying it is ours, unforked). */
  async #publishedSizeAhead(state: CalendarState): Promise<number | undefined> {
    const d = this.#deps;
    const last = await lastPublished(d.jsm, d.streams.rounds, d.subjects.rounds);
    if (last === undefined) return undefined;
    const checkpoint = publishedCheckpoint(last.data, d.identity, d.ed);
    const stored = checkpoint.size <= state.size ? await storedRootAt(d.pool, checkpoint.size) : undefined;
    return judgePublished(state.size, checkpoint, stored) === 'behind' ? checkpoint.size : undefined;
  }

  async #append(state: CalendarState, closed: ClosedRound): Promise<RoundOutcome> {
    const d = this.#deps;
    const recordBytes = encodeRound(closed.record);
    const leafHash = roundLeafHash(d.hasher, recordBytes);
    const { state: next, nodes } = extendState(state, leafHash, closed.record);
    const note = signCheckpoint(
      { origin: d.identity.origin, size: next.size, root: next.root, extensions: [] },
      d.signer,
    );
    const k = closed.record.round;
    const appended = await this.#tryAppend({
      previous: state,
      next,
      record: closed.record,
      recordBytes,
      leafHash,
      seals: closed.orderedSeals,
      nodes,
      note,
      outbox: { subject: d.subjects.rounds, msgId: `round-${k}`, payload: encodeRoundAnchored(closed, note) },
      replayed: false,
    });
    if (appended.kind !== 'appended') return appended;
    return { kind: 'appended', round: k, seals: closed.record.sealCount, takeover: appended.takeover };
  }

  /**
   * Appends one round; a lost race (LEASE_HELD, STATE_CHANGED: another process appended or holds the
   * lease) becomes an outcome, other errors propagate.
   */
  async #tryAppend(
    input: Omit<AppendInput, 'instanceId' | 'leaseMs'>,
  ): Promise<{ kind: 'appended'; takeover: boolean } | Extract<RoundOutcome, { kind: 'lost-race' }>> {
    const d = this.#deps;
    try {
      const decision = await appendRound(d.pool, { ...input, instanceId: d.instanceId, leaseMs: d.leaseMs });
      const takeover = decision.kind === 'take' && decision.takeover;
      if (takeover)
        d.log.info('took over the writer lease', { writer: d.instanceId, round: input.record.round });
      d.metrics?.roundsAppended.inc({ source: input.replayed ? 'replayed' : 'closed' });
      d.metrics?.calendarSize.set(input.next.size);
      d.metrics?.writer.set(1);
      return { kind: 'appended', takeover };
    } catch (error: unknown) {
      if (error instanceof CalendarError && (error.code === 'LEASE_HELD' || error.code === 'STATE_CHANGED')) {
        d.metrics?.writer.set(0);
        return { kind: 'lost-race', code: error.code };
      }
      throw error;
    }
  }

  /**
   * Replays the published rounds the database lacks, each verified (our key, extends the stored tree
   * to its checkpoint's root), until the database reaches `target`. Appends nothing new.
   */
  async #catchUp(state: CalendarState, target: number): Promise<RoundOutcome> {
    const d = this.#deps;
    d.log.warn('database is behind the published checkpoints: catching up from the rounds stream', {
      size: state.size,
      published: target,
    });
    let current = state;
    for await (const message of roundsFrom(d.jsm, d.streams.rounds, state.size)) {
      if (message.round < current.size) continue;
      if (message.round > current.size) {
        throw new CalendarError('HISTORY_UNVERIFIABLE', `the rounds stream lacks round ${current.size}`);
      }
      const anchored = decodeRoundAnchored(message.data);
      const replayed = replayRound(d.hasher, current, anchored, d.identity, d.ed);
      const { record, seals } = replayed;
      const appended = await this.#tryAppend({
        previous: current,
        next: replayed.extension.state,
        record,
        recordBytes: anchored.round,
        leafHash: replayed.leafHash,
        seals,
        nodes: replayed.extension.nodes,
        note: anchored.checkpoint,
        outbox: { subject: d.subjects.rounds, msgId: `round-${record.round}`, payload: message.data },
        replayed: true,
      });
      if (appended.kind !== 'appended') return appended;
      current = replayed.extension.state;
      if (current.size >= target) break;
    }
    if (current.size < target) {
      throw new CalendarError('HISTORY_UNVERIFIABLE', `the rounds stream ends before round ${target - 1}`);
    }
    d.log.info('caught up from the rounds stream', { from: state.size, to: current.size });
    return { kind: 'caught-up', from: state.size, to: current.size };
  }
}
