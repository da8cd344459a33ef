import { formatPublication } from '@msi/core';
import { publishDurable, type Subjects } from '@msi/nats';
import { every, type Logger } from '@msi/service-kit';
import type { JetStreamClient } from '@nats-io/jetstream';
import type pg from 'pg';
import { readLease } from './calendar-repository.js';
import { calendarCosignedCheckpoint } from './cosignature-store.js';
import type { PublicationMetrics } from './metrics.js';
import { holdsLease, publicationTime } from './publication-schedule.js';
import { type StoredPublication, storePublication } from './publication-store.js';
import { nextBoundary } from './schedule.js';

export interface PublisherOptions {
  /** The calendar database (the app connection: reads the lease and the log, inserts publications). */
  readonly pool: pg.Pool;
  readonly js: JetStreamClient;
  readonly subjects: Subjects;
  /** This process's writer-lease owner id: only the lease holder publishes. */
  readonly instanceId: string;
  /** Publish at every wall-clock multiple of this (ms, ≥ 1000; 86,400,000 = daily at midnight UTC). */
  readonly intervalMs: number;
  readonly publishTimeoutMs: number;
  /** Wall clock, ms since the epoch (the publication's time). */
  readonly nowMs: () => number;
  readonly log: Logger;
  readonly metrics?: PublicationMetrics;
  /** Called with each boundary's outcome (tests, logs). */
  readonly onPublication?: (outcome: PublicationOutcome) => void;
}

/** What one publication boundary did. */
export type PublicationOutcome =
  | { readonly kind: 'published'; readonly publication: StoredPublication; readonly sent: boolean }
  | { readonly kind: 'standby' }
  | { readonly kind: 'empty' };

/**
 * Makes one publication now, when this process holds the writer lease and the calendar has a
 * checkpoint: the newest checkpoint with every cosignature stored for it, formatted with
 * formatPublication at the current second, stored in `publications`, then published on
 * `<prefix>.publications` (msgID `publication-<time>`). A failed NATS publish is logged, not thrown
 * (`sent: false`): the publication is stored and served from the database. Database errors propagate.
 */
export async function publishNow(options: PublisherOptions): Promise<PublicationOutcome> {
  const lease = await readLease(options.pool);
  if (!holdsLease(lease, options.instanceId, lease.nowMs)) return { kind: 'standby' };
  const checkpoint = await calendarCosignedCheckpoint(options.pool);
  if (checkpoint === undefined) return { kind: 'empty' };
  const time = publicationTime(options.nowMs());
  const publication = await storePublication(options.pool, {
    time,
    size: checkpoint.size,
    text: formatPublication(time, checkpoint.note),
  });
  try {
    await publishDurable(
      options.js,
      options.subjects.publications,
      new TextEncoder().encode(publication.text),
      { msgID: `publication-${publication.time}`, timeoutMs: options.publishTimeoutMs, attempts: 3 },
    );
  } catch (error: unknown) {
    options.metrics?.publications.inc({ outcome: 'unsent' });
    options.log.warn('publication stored but not published on NATS', {
      publishedAtS: publication.time,
      error,
    });
    return { kind: 'published', publication, sent: false };
  }
  options.metrics?.publications.inc({ outcome: 'published' });
  return { kind: 'published', publication, sent: true };
}

/** A running publication loop. */
export interface RunningPublisher {
  /** Stops the loop after the publication in progress, if any. */
  stop(): Promise<void>;
}

/**
 * Runs publishNow at every wall-clock multiple of the interval (aligned like rounds: daily means
 * midnight UTC). Boundaries missed (downtime, a slow publication) are never made up. Errors cost that
 * boundary's publication and are logged.
 * Precondition: intervalMs ≥ 1000 (two publications never share a second).
 */
export function startPublisher(options: PublisherOptions): RunningPublisher {
  let previous = 0;
  let next: number | undefined;
  const loop = every({
    intervalMs: options.intervalMs,
    run: async () => {
      // Never the same boundary twice, and only once it has truly passed by the wall clock.
      next ??= nextBoundary(Math.max(options.nowMs(), previous), options.intervalMs);
      if (options.nowMs() < next) return next - options.nowMs();
      const boundary = next;
      next = undefined;
      previous = boundary;
      try {
        const outcome = await publishNow(options);
        options.onPublication?.(outcome);
        if (outcome.kind === 'published') {
          options.log.info('publication', {
            publishedAtS: outcome.publication.time,
            size: outcome.publication.size,
          });
        } else options.log.debug('no publication', { reason: outcome.kind });
      } catch (error: unknown) {
        options.metrics?.publications.inc({ outcome: 'failed' });
        options.log.warn('no publication at this boundary', { boundary, error });
      }
      return 0;
    },
  });
  return { stop: () => loop.stop() };
}
