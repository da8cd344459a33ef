import { every, type Logger, type LoopTimers } from '@msi/service-kit';
import type { Calendar, RoundOutcome } from './calendar.js';
import { CalendarError, isFatal } from './calendar-error.js';
import type { CalendarMetrics } from './metrics.js';
import { nextClosing } from './schedule.js';

/** What the loop drives: a Calendar (or anything closing rounds and publishing like one). */
export type RoundCloser = Pick<Calendar, 'closeNextRound' | 'publish'>;

export interface RunnerOptions {
  readonly intervalMs: number;
  /** Close each round this long after the wall-clock boundary (see nextClosing); default 0. */
  readonly closeDelayMs?: number;
  /** Wall clock, ms since the epoch. */
  readonly nowMs: () => number;
  readonly log: Logger;
  readonly metrics?: CalendarMetrics;
  /** Called with each boundary's outcome (tests, logs). */
  readonly onRound?: (outcome: RoundOutcome) => void;
  readonly timers?: LoopTimers;
}

/** A running calendar loop. */
export interface RunningCalendar {
  /** Rejects with the fatal CalendarError that stopped the loop (it never resolves otherwise). */
  readonly failed: Promise<never>;
  /** Stops closing rounds, waits for the round in progress, then publishes the outbox once more. */
  stop(): Promise<void>;
}

/**
 * Runs the calendar: at every wall-clock multiple of the interval, one attempt to close a round (see
 * Calendar.closeNextRound), then the outbox publisher. Boundaries missed while a round was slow are
 * skipped, never made up. Transient errors (NATS or Postgres away) cost that boundary's round and are
 * logged; a fatal CalendarError stops the loop and rejects `failed`.
 */
export function runCalendar(calendar: RoundCloser, options: RunnerOptions): RunningCalendar {
  let rejectFailed: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    rejectFailed = reject;
  });
  failed.catch(() => {});
  const publisher = publisherLoop(calendar, options.log);
  publisher.kick();
  let previous = 0;
  let next: number | undefined;
  const loop = every({
    intervalMs: options.intervalMs,
    ...(options.timers === undefined ? {} : { timers: options.timers }),
    run: async () => {
      // Timers may fire a little early by the wall clock: wait until the boundary has truly passed,
      // and never take the same boundary twice.
      next ??= nextClosing(
        Math.max(options.nowMs(), previous),
        options.intervalMs,
        options.closeDelayMs ?? 0,
      );
      if (options.nowMs() < next) return next - options.nowMs();
      const boundary = next;
      next = undefined;
      previous = boundary;
      try {
        const outcome = await calendar.closeNextRound(boundary);
        options.onRound?.(outcome);
        logOutcome(options.log, outcome);
      } catch (error: unknown) {
        if (isFatal(error)) {
          options.log.error('calendar stopped: it refuses to append', { error, code: codeOf(error) });
          void loop.stop();
          rejectFailed(error);
          return;
        }
        options.metrics?.roundFailures.inc({ reason: codeOf(error) });
        options.log.warn('no round at this boundary', { boundary, error });
      }
      publisher.kick();
      return 0;
    },
  });

  return {
    failed,
    async stop() {
      await loop.stop();
      await publisher.stop();
    },
  };
}

function logOutcome(log: Logger, outcome: RoundOutcome): void {
  if (outcome.kind === 'appended') log.debug('round appended', { ...outcome });
  else if (outcome.kind === 'caught-up') log.info('caught up', { ...outcome });
  else log.debug('no append', { ...outcome });
}

function codeOf(error: unknown): string {
  return error instanceof CalendarError ? error.code : 'ERROR';
}

/** Runs Calendar.publish whenever kicked, one drain at a time (a kick during a drain runs one more). */
function publisherLoop(calendar: RoundCloser, log: Logger): { kick(): void; stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let again = false;
  const drain = async (): Promise<void> => {
    do {
      again = false;
      try {
        await calendar.publish();
      } catch (error: unknown) {
        log.warn('outbox not published', { error, code: codeOf(error) });
      }
    } while (again);
    running = undefined;
  };
  return {
    kick() {
      if (running === undefined) running = drain();
      else again = true;
    },
    async stop() {
      await running;
      await drain();
    },
  };
}
