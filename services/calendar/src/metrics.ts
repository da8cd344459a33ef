import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The calendar's Prometheus metrics (msi_calendar_*). */
export interface CalendarMetrics {
  /** Rounds appended by this process; source = closed (a new round) | replayed (caught up from .rounds). */
  readonly roundsAppended: Counter<'source'>;
  readonly sealsPerRound: Histogram;
  /** From the round's wall-clock boundary to its commit. */
  readonly roundCloseSeconds: Histogram;
  readonly calendarSize: Gauge;
  /** Outbox rows not yet published to <prefix>.rounds. */
  readonly outboxLag: Gauge;
  /** 1 while this process holds the writer lease. */
  readonly writer: Gauge;
  readonly skippedSeals: Counter<'reason'>;
  /** Rounds this process could not close, by reason. */
  readonly roundFailures: Counter<'reason'>;
  /** Always 1; the labels expose the calendar's identity and verifier key. */
  readonly info: Gauge<'origin' | 'verifier_key' | 'instance'>;
}

export function createCalendarMetrics(registry: Registry): CalendarMetrics {
  const registers = [registry];
  return {
    roundsAppended: new Counter({
      name: 'msi_calendar_rounds_appended_total',
      help: 'Rounds appended to the calendar by this process',
      labelNames: ['source'],
      registers,
    }),
    sealsPerRound: new Histogram({
      name: 'msi_calendar_seals_per_round',
      help: 'Seals covered by each round this process closed',
      buckets: [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096],
      registers,
    }),
    roundCloseSeconds: new Histogram({
      name: 'msi_calendar_round_close_seconds',
      help: 'From the round boundary to the commit of the round',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    calendarSize: new Gauge({ name: 'msi_calendar_size', help: 'Rounds in the calendar', registers }),
    outboxLag: new Gauge({
      name: 'msi_calendar_outbox_lag',
      help: 'Outbox rows not yet published to the rounds subject',
      registers,
    }),
    writer: new Gauge({
      name: 'msi_calendar_writer',
      help: '1 while this process holds the writer lease',
      registers,
    }),
    skippedSeals: new Counter({
      name: 'msi_calendar_skipped_seal_messages_total',
      help: 'Messages of the seal stream not covered by a round, by reason',
      labelNames: ['reason'],
      registers,
    }),
    roundFailures: new Counter({
      name: 'msi_calendar_round_failures_total',
      help: 'Round boundaries at which this process appended nothing because of an error',
      labelNames: ['reason'],
      registers,
    }),
    info: new Gauge({
      name: 'msi_calendar_info',
      help: 'The calendar identity (value 1)',
      labelNames: ['origin', 'verifier_key', 'instance'],
      registers,
    }),
  };
}

/** The witness submitter's Prometheus metrics (msi_calendar_witness_*). */
export interface WitnessMetrics {
  /** Checkpoints a witness cosigned (verified and stored). */
  readonly cosigned: Counter<'witness'>;
  /** Checkpoints a witness refused as inconsistent or badly signed (422 / 403): integrity events. */
  readonly refusals: Counter<'witness' | 'status'>;
  /** Submissions that got nothing, by reason (network, http, conflicts, invalid_cosignature). */
  readonly failures: Counter<'witness' | 'reason'>;
  /** The size each witness last cosigned (or said it holds). */
  readonly size: Gauge<'witness'>;
}

export function createWitnessMetrics(registry: Registry): WitnessMetrics {
  const registers = [registry];
  return {
    cosigned: new Counter({
      name: 'msi_calendar_witness_cosigned_total',
      help: 'Checkpoints cosigned by each witness (verified and stored)',
      labelNames: ['witness'],
      registers,
    }),
    refusals: new Counter({
      name: 'msi_calendar_witness_refusals_total',
      help: 'Checkpoints a witness refused as inconsistent (422) or badly signed (403)',
      labelNames: ['witness', 'status'],
      registers,
    }),
    failures: new Counter({
      name: 'msi_calendar_witness_failures_total',
      help: 'Submissions to a witness that got no cosignature, by reason',
      labelNames: ['witness', 'reason'],
      registers,
    }),
    size: new Gauge({
      name: 'msi_calendar_witness_size',
      help: 'The calendar size each witness last cosigned',
      labelNames: ['witness'],
      registers,
    }),
  };
}

/** The publication loop's Prometheus metrics. */
export interface PublicationMetrics {
  /** Publication boundaries by outcome: published, unsent (stored, NATS publish failed), failed. */
  readonly publications: Counter<'outcome'>;
}

/**
 * Registers the publication metrics on `registry`. `latestTime` (the newest stored publication's time,
 * seconds since the epoch; undefined before the first) is read at each scrape for
 * msi_calendar_last_publication_timestamp_seconds, 0 until there is one; a failed read keeps the last
 * value, so a database that stays away makes the publication look overdue, as it will be.
 */
export function createPublicationMetrics(
  registry: Registry,
  latestTime: () => Promise<number | undefined> = async () => undefined,
): PublicationMetrics {
  new Gauge({
    name: 'msi_calendar_last_publication_timestamp_seconds',
    help: 'Time of the newest stored publication (seconds since the epoch; 0 before the first)',
    registers: [registry],
    async collect() {
      const time = await latestTime().catch(() => null);
      if (time !== null) this.set(time ?? 0);
    },
  });
  return {
    publications: new Counter({
      name: 'msi_calendar_publications_total',
      help: 'Publications made by this process (published, unsent = stored only) or failed boundaries',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
