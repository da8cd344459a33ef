import { CheckpointError, parseCheckpointNote } from '@msi/core';
import type { Logger } from '@msi/service-kit';
import { type TileLogClient, TileLogError } from '@msi/tiles-client';
import type { AddCheckpointOutcome, Witness } from './witness.js';

/** What one look at a tile log came to. */
export type FeedResult =
  | { readonly kind: 'cosigned'; readonly origin: string; readonly size: number }
  | { readonly kind: 'unchanged'; readonly origin: string; readonly size: number }
  | { readonly kind: 'refused'; readonly origin: string; readonly code: string; readonly message: string }
  | { readonly kind: 'unreadable'; readonly code: string; readonly message: string };

/** Refusals that may be evidence of a misbehaving log: logged at error level, like pushed ones. */
const SERIOUS = new Set(['INCONSISTENT', 'SAME_SIZE_OTHER_ROOT', 'SIGNATURE_INVALID']);

/**
 * The witness reading logs instead of waiting for them: every interval it fetches each tile log's
 * checkpoint (C2SP tlog-tiles), computes the consistency proof from the size it last cosigned out of
 * the log's own tiles, and puts both through the same decision as a pushed add-checkpoint request
 * (signature by a trusted log key, consistency with what it cosigned, state written before it signs).
 * Nothing fetched is trusted: a tile that lies makes the proof fail and the checkpoint is refused.
 */
export class TileFeed {
  readonly #witness: Witness;
  readonly #logs: readonly TileLogClient[];
  readonly #log: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: {
    readonly witness: Witness;
    readonly logs: readonly TileLogClient[];
    readonly intervalMs: number;
    readonly log: Logger;
  }) {
    this.#witness = options.witness;
    this.#logs = options.logs;
    this.#intervalMs = options.intervalMs;
    this.#log = options.log;
  }

  /** Looks at every log now, then every interval, until stop(). */
  start(): void {
    const tick = () => {
      this.#running = this.feedAll().then(() => {
        this.#running = undefined;
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#intervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** One look at every log (errors are results, logged; never thrown). */
  async feedAll(): Promise<FeedResult[]> {
    const results: FeedResult[] = [];
    for (const log of this.#logs) {
      const result = await this.feed(log);
      results.push(result);
      this.#report(log.base, result);
    }
    return results;
  }

  /** One look at one log. */
  async feed(log: TileLogClient): Promise<FeedResult> {
    try {
      const checkpoint = await log.checkpoint();
      let origin: string;
      let size: number;
      try {
        ({ origin, size } = parseCheckpointNote(checkpoint).checkpoint);
      } catch (error: unknown) {
        if (!(error instanceof CheckpointError)) throw error;
        return { kind: 'unreadable', code: 'MALFORMED', message: `checkpoint: ${error.message}` };
      }
      const oldSize = this.#witness.cosignedSize(origin);
      if (size <= oldSize) return { kind: 'unchanged', origin, size: oldSize };
      const proof = oldSize === 0 ? [] : await log.consistency(oldSize, size);
      return resultOf(origin, await this.#witness.addCheckpoint({ oldSize, proof, checkpoint }));
    } catch (error: unknown) {
      if (!(error instanceof TileLogError)) throw error;
      return { kind: 'unreadable', code: error.code, message: error.message };
    }
  }

  #report(base: string, result: FeedResult): void {
    if (result.kind === 'cosigned') this.#log.info('tile log checkpoint cosigned', { log: base, ...result });
    else if (result.kind === 'unchanged') this.#log.debug('tile log unchanged', { log: base, ...result });
    else if (result.kind === 'unreadable') this.#log.warn('tile log unreadable', { log: base, ...result });
    else if (SERIOUS.has(result.code))
      this.#log.error('tile log checkpoint REFUSED: possible log misbehaviour', { log: base, ...result });
    else this.#log.info('tile log checkpoint refused', { log: base, ...result });
  }
}

function resultOf(origin: string, outcome: AddCheckpointOutcome): FeedResult {
  return outcome.kind === 'cosigned'
    ? { kind: 'cosigned', origin, size: outcome.size }
    : { kind: 'refused', origin, code: outcome.code, message: outcome.message };
}
